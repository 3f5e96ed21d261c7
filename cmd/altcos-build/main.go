// Command altcos-build builds ALTCOS: commits, deploy archives, ISO, QCOW2,
// PXE artifacts, stream metadata and the update graph. See `altcos-build help`.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/altcos/altcos-tools/internal/buildcli"
	"github.com/altcos/altcos-tools/internal/stdio"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := buildcli.Run(ctx, os.Args[1:], stdio.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "altcos-build:", err)
		var ue *buildcli.UsageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}
