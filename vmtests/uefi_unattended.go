package vmtests

import (
	"context"

	"github.com/altcos/altcos-tools/vmtests/qemu"
)

// uefiUnattended is the uefi-unattended scenario: bios-unattended under OVMF
// (skipped when Debian's ovmf is not installed); the installed disk boots
// with the UEFI variables the install wrote.
func uefiUnattended(ctx context.Context, env *Env) error {
	return isoUnattended(ctx, env, qemu.UEFI)
}
