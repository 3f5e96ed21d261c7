package updatecli

import (
	"context"
	"fmt"

	"github.com/altcos/altcos-tools/updates/agent"
)

// runUpgrade is `altcos-update upgrade`: pull and deploy the update the
// graph offers; it boots next (staged on a booted system).
func runUpgrade(ctx context.Context, e *env, args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	u, ok, _, ds, err := findUpdate(ctx, e)
	if err != nil {
		return err
	}
	if !ok {
		fmt.Fprintf(e.io.Out, "no update offered for %s\n", agent.Current(ds).Version)
		return nil
	}
	cfg, _ := e.config()
	return apply(ctx, e, u, cfg.Updates.AllowDowngrade)
}

func apply(ctx context.Context, e *env, u agent.Update, allowDowngrade bool) error {
	sys := e.system()
	if err := agent.Apply(ctx, sys, u, allowDowngrade); err != nil {
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
	fmt.Fprintf(e.io.Out, "%s %s (%s); it boots next: reboot to use it\n", how, u.Version, u.Commit)
	return nil
}
