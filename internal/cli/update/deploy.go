package updatecli

import (
	"context"
	"fmt"

	"github.com/altcos/altcos-tools/internal/stdio"
	"github.com/altcos/altcos-tools/ostree"
	"github.com/altcos/altcos-tools/updates/agent"
)

// runDeploy is `altcos-update deploy VERSION` or `deploy --checksum
// COMMIT`: pull and deploy a given release of the stream (or a commit of
// its remote), even an older one or one the agent was told to avoid.
func runDeploy(ctx context.Context, e *env, args []string) error {
	var u agent.Update
	var refspec string
	switch {
	case e.checksum != "" && len(args) == 0:
		if !ostree.IsChecksum(e.checksum) {
			return &stdio.UsageError{Msg: fmt.Sprintf("--checksum %q is not a full commit checksum (64 hex digits); `ostree log` or the update graph shows them", e.checksum)}
		}
		ds, err := e.system().Deployments(ctx)
		if err != nil {
			return err
		}
		refspec = agent.Base(ds).Refspec
		u = agent.Update{Version: "commit " + e.checksum, Commit: e.checksum}
	case e.checksum == "" && len(args) == 1:
		cfg, err := e.config()
		if err != nil {
			return err
		}
		g, ds, err := fetchGraph(ctx, e, cfg)
		if err != nil {
			return err
		}
		i := g.FindVersion(args[0])
		if i < 0 {
			return fmt.Errorf("version %s is not in the update graph of the stream; `altcos-update check` shows the newest", args[0])
		}
		refspec = agent.Base(ds).Refspec
		u = agent.Update{Version: g.Nodes[i].Version, Commit: g.Nodes[i].Payload}
	default:
		return &stdio.UsageError{Msg: "deploy needs one VERSION or --checksum COMMIT, e.g. `altcos-update deploy sisyphus.20261125.1.0`"}
	}
	// An explicit choice lifts a deny and allows going back.
	if err := e.allow(u.Commit); err != nil {
		return err
	}
	if err := apply(ctx, e, refspec, u); err != nil {
		return err
	}
	return e.rebootIfAsked(ctx)
}
