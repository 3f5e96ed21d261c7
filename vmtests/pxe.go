package vmtests

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/altcos/altcos-tools/vmtests/qemu"
)

// pxeInstall is the pxe scenario: a PXE-style boot (-kernel -initrd -append)
// installs unattended with the Ignition config and its hash from the host's
// HTTP server; the installed disk then boots and passes checkInstalled.
func pxeInstall(ctx context.Context, env *Env) error {
	kernel, initrd, err := pxeFiles(env)
	if err != nil {
		return err
	}
	srv, err := qemu.Serve(env.Log, map[string][]byte{"config.ign": vmtestIgnition})
	if err != nil {
		return err
	}
	defer srv.Close()
	disk := filepath.Join(env.Out, "disk.img")
	if err := qemu.BlankDisk(ctx, env.Log, disk, diskSize); err != nil {
		return err
	}
	c := pxeMachine(env, "pxe-install", kernel, initrd, disk, pxeInstallKargs(env.targetDevice(), srv.GuestURL("config.ign"), "sha256-"+sha256Hex(vmtestIgnition))...)
	env.step("%s: PXE-style boot, Ignition from %s", c.Name, srv.GuestURL("config.ign"))
	m, err := qemu.Start(ctx, env.Log, c)
	if err != nil {
		return err
	}
	defer m.Close()
	if err := runInstall(ctx, env, m); err != nil {
		return err
	}
	m.Close()
	if n := srv.Hits("config.ign"); n < 1 {
		return fmt.Errorf("the installer never fetched %s", srv.GuestURL("config.ign"))
	}
	want, err := env.expected(ctx)
	if err != nil {
		return err
	}
	return checkInstalled(ctx, env, env.diskMachine("pxe-disk", qemu.BIOS, disk, "raw"), want, account{User: "root", Password: rootPassword}, srv)
}
