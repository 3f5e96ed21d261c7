// Command altcos-installer installs ALTCOS onto a disk or a raw image file.
// See `altcos-installer --help`.
package main

import (
	installercli "github.com/altcos/altcos-tools/internal/cli/installer"
	"github.com/altcos/altcos-tools/internal/stdio"
)

func main() { stdio.Main("altcos-installer", installercli.Run) }
