package updatecli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/altcos/altcos-tools/ostree"
	"github.com/altcos/altcos-tools/updates/agent"
)

// statusJSON is `status --json`.
type statusJSON struct {
	Sysroot     string                   `json:"sysroot"`
	Booted      *ostree.DeploymentEntry  `json:"booted"`
	Pending     *ostree.DeploymentEntry  `json:"pending"`
	Rollback    *ostree.DeploymentEntry  `json:"rollback"`
	Deployments []ostree.DeploymentEntry `json:"deployments"`
	Denied      map[string]string        `json:"denied,omitempty"`
}

// runStatus is `altcos-update status [--json] [--booted]`: the booted,
// pending and rollback deployments, and the releases the agent will not
// offer again. --booted shows the booted deployment only (on a sysroot that
// is not booted, the default one, which it would boot).
func runStatus(ctx context.Context, e *env, args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	ds, err := e.system().Deployments(ctx)
	if err != nil {
		return err
	}
	st, err := agent.LoadState(e.state())
	if err != nil {
		return err
	}
	r := agent.RolesOf(ds)
	if e.booted {
		cur := agent.Current(ds)
		ds = []ostree.DeploymentEntry{cur}
		r = agent.Roles{Booted: r.Booted, Default: r.Default}
		if r.Default.Index != cur.Index {
			r.Default = nil
		}
	}
	if e.json {
		b, _ := json.MarshalIndent(statusJSON{Sysroot: e.sysroot, Booted: r.Booted, Pending: r.Pending, Rollback: r.Rollback, Deployments: ds, Denied: st.Denied}, "", "  ")
		_, err := e.io.Out.Write(append(b, '\n'))
		return err
	}
	writeStatus(e.io.Out, e.sysroot, ds, r, st)
	return nil
}

func writeStatus(w io.Writer, sysroot string, ds []ostree.DeploymentEntry, r agent.Roles, st *agent.State) {
	if r.Booted == nil {
		fmt.Fprintf(w, "sysroot %s is not the running system: no booted deployment\n", sysroot)
	}
	for _, d := range ds {
		var roles []string
		if d.Booted {
			roles = append(roles, "booted")
		}
		if r.Pending != nil && d.Index == r.Pending.Index {
			roles = append(roles, "pending")
		}
		if d.Staged {
			roles = append(roles, "staged")
		}
		if r.Rollback != nil && d.Index == r.Rollback.Index {
			roles = append(roles, "rollback")
		}
		if d.Index == 0 {
			roles = append(roles, "default")
		}
		mark := " "
		if d.Booted {
			mark = "*"
		}
		fmt.Fprintf(w, "%s %d %-26s %s\n", mark, d.Index, strings.Join(roles, ","), d.Version)
		fmt.Fprintf(w, "      commit %s.%d\n      origin %s\n", d.Checksum, d.Serial, d.Refspec)
	}
	for c, why := range st.Denied {
		fmt.Fprintf(w, "never offered again: %s (%s)\n", c, why)
	}
}
