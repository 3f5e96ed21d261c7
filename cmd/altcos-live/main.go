// Command altcos-live is the live ISO's and PXE boot's own program, started
// by u-root's init as uinit: it loads the kernel modules, mounts the boot
// medium, prints the hints and installs unattended when asked (see
// initramfs/live). When it returns, init starts the shell.
//
//	altcos-live
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
	env := live.Env{
		Stdio:       io,
		LoadModules: live.LoadModules,
		Mount:       live.MountISO,
		Command:     live.DefaultCommand(io),
		Background:  live.Background,
		Reboot:      live.Reboot,
		MediumWait:  15 * time.Second,
	}
	if err := live.Run(context.Background(), os.Args[1:], env); err != nil {
		fmt.Fprintf(os.Stderr, "altcos-live: %v\n", err)
		os.Exit(1)
	}
}
