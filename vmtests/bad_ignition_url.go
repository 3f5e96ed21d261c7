package vmtests

import (
	"context"
	"fmt"

	"github.com/altcos/altcos-tools/vmtests/qemu"
)

// badIgnitionURL is the bad-ignition-url scenario: an unreachable Ignition
// URL; the installer names it and leaves the disk byte-identical.
func badIgnitionURL(ctx context.Context, env *Env) error {
	// Port 9 (discard) on the host: nothing listens, the connection is refused.
	url := fmt.Sprintf("http://%s:9/config.ign", qemu.GuestHost)
	return badInput(ctx, env, "bad-url", nil, url, "sha256-"+sha256Hex(vmtestIgnition), []string{url, "10.0.2.2:9"})
}
