package vmtests

import (
	"context"
	"fmt"

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
	srv, disk, err := serveConfigOnBlankDisk(ctx, env)
	if err != nil {
		return err
	}
	defer srv.Close()
	c := pxeMachine(env, "pxe-install", kernel, initrd, disk, configInstallKargs(env, srv)...)
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
	return checkAsRoot(ctx, env, env.diskMachine("pxe-disk", qemu.BIOS, disk, "raw"), srv)
}
