// Command altcos-installer installs ALTCOS onto a disk or a raw image file.
// See `altcos-installer --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/altcos/altcos-tools/installer/cli"
	"github.com/altcos/altcos-tools/internal/stdio"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], stdio.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	stop()
	os.Exit(code)
}
