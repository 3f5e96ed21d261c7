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
	u, _, ok, err := offeredUpdate(ctx, e)
	if !ok || err != nil {
		return err
	}
	fmt.Fprintf(e.io.Out, "update available: %s (%s)\n", u.Version, u.Commit)
	return nil
}

// offeredUpdate finds the update the graph offers for the stream the
// deployments follow (base, agent.Base: after a rebase, the new stream).
// When there is none it says so and returns ok false, and errUnchanged
// under --unchanged-exit-77: check and upgrade answer "no" alike.
func offeredUpdate(ctx context.Context, e *env) (u agent.Update, base ostree.DeploymentEntry, ok bool, err error) {
	cfg, err := e.config()
	if err != nil {
		return u, base, false, err
	}
	g, ds, err := fetchGraph(ctx, e, cfg)
	if err != nil {
		return u, base, false, err
	}
	st, err := agent.LoadState(e.state())
	if err != nil {
		return u, base, false, err
	}
	base = agent.Base(ds)
	u, ok, err = agent.FindUpdate(g, ds, st.Denied, cfg.Updates.AllowDowngrade)
	if err != nil {
		return u, base, false, err
	}
	if !ok {
		fmt.Fprintf(e.io.Out, "no update offered for %s\n", base.Version)
		if e.exit77 {
			return u, base, false, errUnchanged(base.Version)
		}
	}
	return u, base, ok, nil
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
