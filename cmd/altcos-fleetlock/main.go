// Command altcos-fleetlock is the FleetLock reboot coordination service for
// ALTCOS clusters: one counting semaphore per node group, kept in etcd (an
// embedded single-node etcd by default). See `altcos-fleetlock -h`.
package main

import (
	"github.com/altcos/altcos-tools/internal/stdio"
	"github.com/altcos/altcos-tools/updates/fleetlock/server"
)

func main() { stdio.Main("altcos-fleetlock", server.Command) }
