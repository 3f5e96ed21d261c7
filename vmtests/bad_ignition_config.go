package vmtests

import (
	"context"

	"github.com/altcos/altcos-tools/vmtests/qemu"
)

// badIgnitionConfig is the bad-ignition-config scenario: an invalid Ignition
// config with the right hash; the installer says what is wrong and leaves
// the disk byte-identical.
func badIgnitionConfig(ctx context.Context, env *Env) error {
	srv, err := qemu.Serve(env.Log, map[string][]byte{"invalid.ign": invalidIgnition})
	if err != nil {
		return err
	}
	defer srv.Close()
	// The right hash: the config is what was meant to be sent, and invalid.
	return badInput(ctx, env, "bad-config", srv, srv.GuestURL("invalid.ign"), "sha256-"+sha256Hex(invalidIgnition), []string{"not absolute", "etc/not-absolute"})
}
