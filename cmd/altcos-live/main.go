// Command altcos-live is the init (PID 1) of the live ISO and PXE boot: it
// mounts /proc, /sys and /dev, loads the kernel modules, mounts the boot
// medium, prints the hints on every console, installs unattended when asked,
// and then keeps a shell on every console (see initramfs/live).
//
//	altcos-live          as /init
//	altcos-live late     load the remaining modules and run DHCP (started by init)
//
// Not stdio.Main: as PID 1 it sets up the root and the consoles first and
// never exits, and signals are not its to catch.
package main

import (
	"context"
	"fmt"
	"os"

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
		out := live.ConsoleWriter(consoles(), os.Stdout)
		io = stdio.Stdio{In: os.Stdin, Out: out, Err: out}
	}
	code := stdio.Report(io.Err, "altcos-live", live.Run(context.Background(), os.Args[1:], live.SystemEnv(io)))
	if pid1 {
		// Read again: a console whose driver is a module is there by now.
		live.ShellForever("/bbin/gosh", live.ShellTTYs(consoles()), io.Out)
	}
	os.Exit(code)
}

// consoles are the live system's consoles (live.Consoles).
func consoles() []string {
	cmdline, _ := os.ReadFile("/proc/cmdline")
	return live.Consoles("", string(cmdline))
}
