package vmtests

import (
	"context"
	"errors"
	"strings"

	"github.com/altcos/altcos-tools/vmtests/qemu"
)

// uefiUnattended is the uefi-unattended scenario: bios-unattended under OVMF
// with Secure Boot on and Microsoft's keys enrolled (as a stock server
// ships; skipped when Debian's ovmf is not installed). The live ISO, the
// install and the installed disk all boot through shim, Debian's signed
// GRUB and the signed kernel; the installed disk boots with the UEFI
// variables the install wrote, and says Secure Boot is on.
//
// The ISO is written to a USB stick (usb-storage on xHCI), the only boot
// medium, as an operator does for a server without an optical drive: OVMF
// boots the hybrid ISO's ESP and the live system finds its medium on USB.
func uefiUnattended(ctx context.Context, env *Env) error {
	return isoUnattended(ctx, env, qemu.UEFISecureBoot, hardware{Medium: "usb", Disk: "virtio", Target: guestDisk})
}

// secureBootOn is the kernel's line when the firmware booted it with
// Secure Boot on (arch/x86/kernel/setup.c).
const secureBootOn = "Secure boot enabled"

// checkLiveSecureBoot: the live system's kernel said Secure Boot is on. A
// loader the firmware refused never gets this far, so this proves the
// kernel's own view, not just that something booted.
func checkLiveSecureBoot(env *Env, m *qemu.Machine) error {
	if !strings.Contains(m.Console.Output(), secureBootOn) {
		return m.Fail("Secure Boot in the live system", errors.New("the kernel did not print \""+secureBootOn+"\""))
	}
	env.step("%s: ok: the live kernel says %q", m.Name, secureBootOn)
	return nil
}

// checkSecureBoot: the installed system runs with Secure Boot on (mokutil
// reads the firmware's variable) and its kernel is locked down, as Debian's
// kernel is under Secure Boot; the checks before this one passed under it.
func checkSecureBoot(ctx context.Context, env *Env, c *checks, _ *qemu.Server) error {
	ok, err := c.expect(ctx, "Secure Boot on, kernel locked down", "mokutil --sb-state; cat /sys/kernel/security/lockdown", commandTimeout, "",
		"SecureBoot enabled", "[integrity]")
	if ok {
		env.step("%s: ok: mokutil --sb-state says SecureBoot enabled; lockdown [integrity]", c.m.Name)
	}
	return err
}
