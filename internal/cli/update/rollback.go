package updatecli

import (
	"context"
	"fmt"

	"github.com/altcos/altcos-tools/updates/agent"
)

// runRollback is `altcos-update rollback [--reboot]`: the rollback
// deployment becomes the default, and the agent will not move forward to
// the one left.
func runRollback(ctx context.Context, e *env, args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	sys := e.system()
	before, err := sys.Deployments(ctx)
	if err != nil {
		return err
	}
	if err := sys.Rollback(ctx); err != nil {
		return err
	}
	after, err := sys.Deployments(ctx)
	if err != nil {
		return err
	}
	// The agent must not move forward to what the operator just left.
	st, err := agent.LoadState(e.state())
	if err != nil {
		return err
	}
	st.Deny(before[0].Checksum, "rolled back by the operator; `altcos-update deploy "+before[0].Version+"` allows it again")
	if err := st.Save(e.state()); err != nil {
		return err
	}
	fmt.Fprintf(e.io.Out, "rolled back: %s is the default (it boots next), %s was\n", after[0].Version, before[0].Version)
	return e.rebootIfAsked(ctx)
}
