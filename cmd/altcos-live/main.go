// Command altcos-live is the init (PID 1) of the live ISO and PXE boot: it
// mounts /proc, /sys and /dev, loads the kernel modules, mounts the boot
// medium, prints the hints on every console, installs unattended when asked,
// and then keeps a shell on the console (see initramfs/live).
//
//	altcos-live          as /init
//	altcos-live late     load the remaining modules and run DHCP (started by init)
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/altcos/altcos-tools/initramfs/live"
	"github.com/altcos/altcos-tools/internal/stdio"
)

func main() {
	io := stdio.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}
	pid1 := os.Getpid() == 1
	if pid1 {
		if err := live.SetupRoot(); err != nil {
			fmt.Fprintf(os.Stderr, "altcos-live: %v\n", err)
		}
		cmdline, _ := os.ReadFile("/proc/cmdline")
		out := live.ConsoleWriter(string(cmdline), os.Stdout)
		io = stdio.Stdio{In: os.Stdin, Out: out, Err: out}
	}
	env := live.Env{
		Stdio:       io,
		LoadModules: live.LoadModules,
		Mount:       live.MountISO,
		Command:     live.DefaultCommand(io),
		Background:  live.Background,
		Reboot:      live.Reboot,
		MediumWait:  15 * time.Second,
	}
	err := live.Run(context.Background(), os.Args[1:], env)
	if err != nil {
		fmt.Fprintf(io.Err, "altcos-live: %v\n", err)
	}
	if pid1 {
		live.ShellForever("/bbin/gosh", io.Out)
	}
	if err != nil {
		os.Exit(1)
	}
}
