package vmtests

import (
	"context"

	"github.com/altcos/altcos-tools/vmtests/qemu"
)

// biosUnattended is the bios-unattended scenario: the live ISO, customized to
// install onto the blank disk with testdata/vmtest.ign, installs by itself
// under SeaBIOS; the installed disk then boots and passes checkInstalled.
// Both sit on SATA, as on a real server: the ISO on an AHCI CD-ROM, the
// target an AHCI disk (/dev/sda), which the installed system then boots from.
func biosUnattended(ctx context.Context, env *Env) error {
	return isoUnattended(ctx, env, qemu.BIOS, hardware{Medium: "cdrom-ahci", Disk: "ahci", Target: "/dev/sda"})
}
