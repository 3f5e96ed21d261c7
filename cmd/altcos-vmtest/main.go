// Command altcos-vmtest runs ALTCOS machine tests in QEMU against built
// artifacts, for this project's CI and a distribution's:
//
//	altcos-vmtest list
//	altcos-vmtest run --iso X --pxe-dir D --qcow2 Q [--scenario bios-unattended,pxe] [--budget 80m] [--skip-missing]
//	altcos-vmtest demo --iso X
//	altcos-vmtest smoke
//
// It exits 0 when every scenario run passed (skips are listed), 1 when one
// failed (with its console tail) or lacked its artifact (unless
// --skip-missing), 2 on a bad command line.
package main

import (
	vmtestcli "github.com/altcos/altcos-tools/internal/cli/vmtest"
	"github.com/altcos/altcos-tools/internal/stdio"
)

func main() { stdio.Main("altcos-vmtest", vmtestcli.Run) }
