package updatecli

import (
	"context"
	"fmt"

	"github.com/altcos/altcos-tools/updates/agent"
)

// runUpgrade is `altcos-update upgrade [--reboot] [--unchanged-exit-77]`:
// pull and deploy the update the graph offers; it boots next (staged on a
// booted system), at once with --reboot.
func runUpgrade(ctx context.Context, e *env, args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	u, base, ok, err := offeredUpdate(ctx, e)
	if !ok || err != nil {
		return err
	}
	if err := apply(ctx, e, base.Refspec, u); err != nil {
		return err
	}
	return e.rebootIfAsked(ctx)
}

// apply pulls and deploys u following refspec and says what it did.
func apply(ctx context.Context, e *env, refspec string, u agent.Update) error {
	sys := e.system()
	if err := agent.Apply(ctx, sys, refspec, u); err != nil {
		return err
	}
	ds, err := sys.Deployments(ctx)
	if err != nil {
		return err
	}
	how := "deployed"
	if ds[0].Staged {
		how = "staged"
	}
	fmt.Fprintf(e.io.Out, "%s %s (%s); it boots next: reboot to use it\n", how, ds[0].Version, u.Commit)
	return nil
}
