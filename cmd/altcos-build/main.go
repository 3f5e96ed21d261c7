// Command altcos-build builds ALTCOS: commits, deploy archives, ISO, QCOW2,
// PXE artifacts, stream metadata and the update graph. See `altcos-build help`.
package main

import (
	buildcli "github.com/altcos/altcos-tools/internal/cli/build"
	"github.com/altcos/altcos-tools/internal/stdio"
)

func main() { stdio.Main("altcos-build", buildcli.Run) }
