package updatecli

import (
	"context"
	"fmt"

	"github.com/altcos/altcos-tools/updates/agent"
)

// runUpdateNow is `altcos-update update-now`: the running agent skips its
// strategy's wait once (a maintenance window, a reboot slot, the wait for
// logged-in users): it finds the request file next to its state within a
// second and checks, stages and reboots at once. With the stage strategy
// this reboots into the staged update: the administrator asked for it.
func runUpdateNow(ctx context.Context, e *env, args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	if err := agent.RequestUpdateNow(e.state()); err != nil {
		return err
	}
	fmt.Fprintf(e.io.Out, "asked the update agent to update now (%s); `journalctl -u altcos-updated` shows what it does\n", agent.UpdateNowPath(e.state()))
	return nil
}
