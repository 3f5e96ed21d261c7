package vmtests

import (
	"context"

	"github.com/altcos/altcos-tools/vmtests/qemu"
)

// qcow2 is the qcow2 scenario: a copy-on-write overlay of the QCOW2 image
// boots with Ignition on fw_cfg (the test config with the example configs
// testContainers and altcos-password merged in) and passes checkInstalled
// and checkContainers.
func qcow2(ctx context.Context, env *Env) error {
	if env.Art.QCOW2 == "" {
		return missingf("no QCOW2 image: give --qcow2 or ALTCOS_VMTEST_QCOW2 (make qcow2 builds one)")
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
	c, err := env.qcow2Machine(ctx, "qcow2", ign)
	if err != nil {
		return err
	}
	srv, err := qemu.Serve(env.Log, nil)
	if err != nil {
		return err
	}
	defer srv.Close()
	return checkAsRoot(ctx, env, c, firstBootOnly, srv, checkContainers)
}
