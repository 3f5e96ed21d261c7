// Command altcos-fleetlock is the FleetLock reboot coordination service for
// ALTCOS clusters: one counting semaphore per node group, kept in etcd (an
// embedded single-node etcd by default). See `altcos-fleetlock -h`.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/altcos/altcos-tools/internal/stdio"
	"github.com/altcos/altcos-tools/updates/fleetlock/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := server.Command(ctx, os.Args[1:], stdio.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "altcos-fleetlock:", err)
		var ue *server.UsageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}
