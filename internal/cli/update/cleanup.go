package updatecli

import (
	"context"
	"fmt"

	"github.com/altcos/altcos-tools/internal/stdio"
	"github.com/altcos/altcos-tools/updates/agent"
)

// runCleanup is `altcos-update cleanup [-p] [-r] [-b]`, as `rpm-ostree
// cleanup`: -p undeploys the pending deployment, -r the rollback one
// (`ostree admin undeploy INDEX`, highest index first so the other index
// stays right); -b runs `ostree admin cleanup`, which prunes the objects
// and deployment directories nothing refers to. The booted deployment is
// never removed.
func runCleanup(ctx context.Context, e *env, args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	if !e.cleanPending && !e.cleanRollback && !e.cleanBase {
		return &stdio.UsageError{Msg: "cleanup needs -p (pending), -r (rollback) and/or -b (prune the repository)"}
	}
	sys := e.system()
	ds, err := sys.Deployments(ctx)
	if err != nil {
		return err
	}
	r := agent.RolesOf(ds)
	var drop []int // descending indexes
	var what []string
	if e.cleanRollback && r.Rollback != nil {
		drop = append(drop, r.Rollback.Index)
		what = append(what, "rollback "+r.Rollback.Version)
	}
	if e.cleanPending && r.Pending != nil {
		drop = append(drop, r.Pending.Index)
		what = append(what, "pending "+r.Pending.Version)
	}
	if len(drop) == len(ds) {
		return fmt.Errorf("cleanup -p -r would remove every deployment of sysroot %s; keep one (drop -p or -r)", e.sysroot)
	}
	for _, i := range drop {
		if ds[i].Booted {
			return fmt.Errorf("deployment %d (%s) is booted; it is never removed", i, ds[i].Version)
		}
		if err := sys.Sysroot.UndeployIndex(ctx, i); err != nil {
			return err
		}
	}
	if r.Pending != nil && e.cleanPending {
		// The agent must not wait to reboot into what is gone; it may
		// offer the release again (rollback denies it instead).
		st, err := agent.LoadState(e.state())
		if err != nil {
			return err
		}
		if st.Staged == r.Pending.Checksum {
			st.Staged = ""
			if err := st.Save(e.state()); err != nil {
				return err
			}
		}
	}
	if e.cleanBase {
		if err := sys.Sysroot.Cleanup(ctx); err != nil {
			return err
		}
		what = append(what, "unreferenced objects")
	}
	if len(what) == 0 {
		fmt.Fprintln(e.io.Out, "nothing to clean up")
		return nil
	}
	for _, w := range what {
		fmt.Fprintf(e.io.Out, "removed %s\n", w)
	}
	return nil
}
