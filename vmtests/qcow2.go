package vmtests

import (
	"context"

	"github.com/altcos/altcos-tools/vmtests/qemu"
)

// qcow2 is the qcow2 scenario: a copy-on-write overlay of the QCOW2 image
// boots with Ignition on fw_cfg (the test config with the example configs
// testContainers and altcos-password merged in) and passes checkInstalled
// and checkContainers. It boots under UEFI with Secure Boot off, as most
// clouds' UEFI machines do: the one firmware path the other scenarios
// leave out (BIOS: bios-unattended, pxe, interactive, update-rollback;
// Secure Boot on: uefi-unattended), at the price of OVMF's few seconds.
func qcow2(ctx context.Context, env *Env) error {
	if env.Art.QCOW2 == "" {
		return missingf("no QCOW2 image: give --qcow2 or ALTCOS_VMTEST_QCOW2 (make qcow2 builds one)")
	}
	if err := needFirmware(qemu.UEFI); err != nil {
		return err
	}
	// A QCOW2 image is installed without a root password: the config sets it.
	root, err := ignitionWithRootPassword(vmtestIgnition, rootPasswordHash)
	if err != nil {
		return err
	}
	merged, err := withExamples(root)
	if err != nil {
		return err
	}
	ign, err := env.writeFile("vmtest-examples.ign", merged)
	if err != nil {
		return err
	}
	c, err := env.qcow2Machine(ctx, "qcow2", qemu.UEFI, ign)
	if err != nil {
		return err
	}
	srv, err := qemu.Serve(env.Log, nil)
	if err != nil {
		return err
	}
	defer srv.Close()
	return checkAsRoot(ctx, env, c, firstBootOnly, srv, checkUEFINoSecureBoot, checkContainers)
}

// checkUEFINoSecureBoot: the system booted through UEFI (the kernel has EFI
// runtime services) and the firmware says Secure Boot is off.
func checkUEFINoSecureBoot(ctx context.Context, env *Env, c *checks, _ *qemu.Server) error {
	ok, err := c.expect(ctx, "booted by UEFI, Secure Boot off", "test -d /sys/firmware/efi && echo efi; mokutil --sb-state", commandTimeout, "", "efi", "SecureBoot disabled")
	if ok {
		env.step("%s: ok: booted by UEFI (/sys/firmware/efi), mokutil --sb-state says SecureBoot disabled", c.m.Name)
	}
	return err
}
