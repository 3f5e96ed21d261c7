package updatecli

import (
	"context"
	"fmt"

	"github.com/altcos/altcos-tools/internal/stdio"
	"github.com/altcos/altcos-tools/updates/agent"
)

// runDeploy is `altcos-update deploy VERSION`: pull and deploy a given
// release of the stream, even an older one or one the agent was told to
// avoid.
func runDeploy(ctx context.Context, e *env, args []string) error {
	if len(args) != 1 {
		return &stdio.UsageError{Msg: "deploy needs one VERSION, e.g. `altcos-update deploy sisyphus.20261125.1.0`"}
	}
	cfg, err := e.config()
	if err != nil {
		return err
	}
	g, _, err := fetchGraph(ctx, e, cfg)
	if err != nil {
		return err
	}
	i := g.FindVersion(args[0])
	if i < 0 {
		return fmt.Errorf("version %s is not in the update graph of the stream; `altcos-update check` shows the newest", args[0])
	}
	u := agent.Update{Version: g.Nodes[i].Version, Commit: g.Nodes[i].Payload}
	// An explicit choice lifts a deny and allows going back.
	st, err := agent.LoadState(e.state())
	if err != nil {
		return err
	}
	if _, denied := st.Denied[u.Commit]; denied {
		delete(st.Denied, u.Commit)
		if err := st.Save(e.state()); err != nil {
			return err
		}
	}
	return apply(ctx, e, u, true)
}
