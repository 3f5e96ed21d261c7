// Command altcos-update upgrades and rolls back ALTCOS and runs its update
// agent (altcos-updated.service runs `altcos-update agent`). See
// `altcos-update help`.
package main

import (
	"github.com/altcos/altcos-tools/internal/stdio"
	"github.com/altcos/altcos-tools/updates/cli"
)

func main() { stdio.Main("altcos-update", cli.Run) }
