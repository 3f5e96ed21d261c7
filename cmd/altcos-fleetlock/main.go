// Command altcos-fleetlock is the FleetLock reboot coordination service for
// ALTCOS clusters: one counting semaphore per node group, kept in etcd (an
// embedded single-node etcd by default). See `altcos-fleetlock -h`.
package main

import (
	fleetlockcli "github.com/altcos/altcos-tools/internal/cli/fleetlock"
	"github.com/altcos/altcos-tools/internal/stdio"
)

func main() { stdio.Main("altcos-fleetlock", fleetlockcli.Run) }
