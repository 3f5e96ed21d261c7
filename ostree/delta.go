package ostree

import (
	"context"
	"fmt"
	"strings"

	"github.com/altcos/altcos-tools/internal/run"
)

// Static deltas: `ostree static-delta generate --from=A --to=B` writes one
// precomputed delta (deltas/ in the repository), and `ostree summary -u`
// lists it in the summary, where a pull of B into a repository holding A
// finds it and fetches the delta's few parts instead of every changed
// object. ostree pull uses them on its own; nothing else is needed on the
// client.

// staticDeltaArgs builds `ostree static-delta generate --repo=R --if-not-exists
// --from=FROM --to=TO` (from "" : --empty, a delta from nothing).
func staticDeltaArgs(repo, from, to string) []string {
	args := []string{"generate", "--if-not-exists"}
	if from == "" {
		args = append(args, "--empty")
	} else {
		args = append(args, "--from="+from)
	}
	return RepoArgs(repo, "static-delta", append(args, "--to="+to)...)
}

// StaticDelta generates the delta from -> to unless it exists. The caller
// updates the summary (SummaryUpdate) once after its deltas.
func (r *Repo) StaticDelta(ctx context.Context, from, to string) error {
	if err := run.Run(ctx, r.Log, run.Cmd{Argv: staticDeltaArgs(r.Path, from, to)}); err != nil {
		return fmt.Errorf("static delta %.12s -> %.12s in %s: %w", from, to, r.Path, err)
	}
	return nil
}

// StaticDeltas lists the repository's deltas as `ostree static-delta list`
// prints them (FROM-TO, or TO for a delta from nothing).
func (r *Repo) StaticDeltas(ctx context.Context) ([]string, error) {
	out, err := r.output(ctx, "static-delta", "list")
	if err != nil {
		return nil, fmt.Errorf("static deltas of %s: %w", r.Path, err)
	}
	var ds []string
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); l != "" && l != "(No static deltas)" {
			ds = append(ds, l)
		}
	}
	return ds, nil
}
