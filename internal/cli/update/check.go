package updatecli

import (
	"context"
	"errors"
	"fmt"

	"github.com/altcos/altcos-tools/ostree"
	"github.com/altcos/altcos-tools/updates/agent"
	"github.com/altcos/altcos-tools/updates/config"
	"github.com/altcos/altcos-tools/updates/graph"
)

// runCheck is `altcos-update check [--unchanged-exit-77]`: is there an
// update in the graph? With --unchanged-exit-77 "no" exits with status 77,
// as rpm-ostree does.
func runCheck(ctx context.Context, e *env, args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	u, ok, _, ds, err := findUpdate(ctx, e)
	if err != nil {
		return err
	}
	if !ok {
		fmt.Fprintf(e.io.Out, "no update offered for %s\n", agent.Base(ds).Version)
		if e.exit77 {
			return errUnchanged(agent.Base(ds).Version)
		}
		return nil
	}
	fmt.Fprintf(e.io.Out, "update available: %s (%s)\n", u.Version, u.Commit)
	return nil
}

// findUpdate fetches the graph of the stream the deployments follow
// (agent.Base: after a rebase, the new stream).
func findUpdate(ctx context.Context, e *env) (agent.Update, bool, *graph.Graph, []ostree.DeploymentEntry, error) {
	cfg, err := e.config()
	if err != nil {
		return agent.Update{}, false, nil, nil, err
	}
	g, ds, err := fetchGraph(ctx, e, cfg)
	if err != nil {
		return agent.Update{}, false, nil, nil, err
	}
	st, err := agent.LoadState(e.state())
	if err != nil {
		return agent.Update{}, false, nil, nil, err
	}
	u, ok, err := agent.FindUpdate(g, ds, st.Denied, cfg.Updates.AllowDowngrade)
	return u, ok, g, ds, err
}

func fetchGraph(ctx context.Context, e *env, cfg *config.Config) (*graph.Graph, []ostree.DeploymentEntry, error) {
	ds, err := e.system().Deployments(ctx)
	if err != nil {
		return nil, nil, err
	}
	base := agent.Base(ds)
	origin, err := agent.ParseRefspec(base.Refspec)
	if err != nil {
		return nil, nil, err
	}
	if cfg.Cincinnati.BaseURL == "" {
		return nil, nil, errors.New("no update graph configured; set [cincinnati] base_url in /etc/altcos-updated/config.d/ or pass --graph-url")
	}
	// The agent's query (zincati's parameters); a node without a machine
	// id still gets its answer, without node_uuid.
	id, _ := cfg.NodeUUID(e.root)
	a := agent.Agent{Config: cfg, NodeUUID: id, Platform: platform(e.sysroot)}
	g, err := graph.Fetch(ctx, nil, cfg.Cincinnati.BaseURL, a.Query(base, origin))
	return g, ds, err
}
