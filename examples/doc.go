// Package examples holds the example configs shipped with ALTCOS: Butane
// sources (*.bu) and the Ignition JSON (*.ign) our own Butane translation
// (installer/ignition) makes of them. The live ISO carries both under
// /usr/share/altcos/examples. `make examples` regenerates the .ign files;
// the test fails when a checked-in .ign is stale.
package examples
