// Command altcos-update upgrades and rolls back ALTCOS and runs its update
// agent (altcos-updated.service runs `altcos-update agent`). See
// `altcos-update help`.
package main

import (
	_ "time/tzdata" // maintenance windows name IANA zones even where /usr/share/zoneinfo is thin

	updatecli "github.com/altcos/altcos-tools/internal/cli/update"
	"github.com/altcos/altcos-tools/internal/stdio"
)

func main() { stdio.Main("altcos-update", updatecli.Run) }
