package vmtests

import (
	"context"

	"github.com/altcos/altcos-tools/vmtests/qemu"
)

// uefiUnattended is the uefi-unattended scenario: bios-unattended under OVMF
// (skipped when Debian's ovmf is not installed); the installed disk boots
// with the UEFI variables the install wrote.
//
// The ISO is written to a USB stick (usb-storage on xHCI), the only boot
// medium, as an operator does for a server without an optical drive: OVMF
// boots the hybrid ISO's ESP and the live system finds its medium on USB.
func uefiUnattended(ctx context.Context, env *Env) error {
	return isoUnattended(ctx, env, qemu.UEFI, hardware{Medium: "usb", Disk: "virtio", Target: guestDisk})
}
