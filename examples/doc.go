// Package examples holds the example configs shipped with ALTCOS: Butane
// sources (*.bu) and the Ignition JSON (*.ign) our own Butane translation
// (installer/ignition) makes of them. The live ISO carries both under
// /usr/share/altcos/examples. `make examples` regenerates the .ign files;
// the test fails when a checked-in .ign is stale.
package examples

import "embed"

// Files are the example configs: altcos-password.{bu,ign} and
// testContainers.{bu,ign}. The machine tests install with them.
//
//go:embed *.bu *.ign
var Files embed.FS
