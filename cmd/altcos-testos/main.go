// Command altcos-testos composes the Debian-based test OS tree with
// mmdebstrap, or reuses the cached one, and prints the tree's path:
//
//	altcos-testos [-packages testos/streams/sisyphus.txt] [-cache .cache/testos] [-suite bookworm] [-mirror URL]
package main

import (
	testoscli "github.com/altcos/altcos-tools/internal/cli/testos"
	"github.com/altcos/altcos-tools/internal/stdio"
)

func main() { stdio.Main("altcos-testos", testoscli.Run) }
