package agent

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/ostree"
)

// System is the node as the agent changes it: ostree deployments, reboots
// and systemd units. OSTreeSystem is the real one; tests use a fake.
type System interface {
	Deployments(ctx context.Context) ([]ostree.DeploymentEntry, error)
	// Pull fetches commit from the remote of refspec (REMOTE:REF).
	Pull(ctx context.Context, refspec, commit string) error
	// Deploy makes an already pulled commit the next boot's default with an
	// origin following refspec, staged when a deployment is booted.
	Deploy(ctx context.Context, refspec, commit string) error
	// Rollback makes the rollback deployment the default.
	Rollback(ctx context.Context) error
	Reboot(ctx context.Context) error
	// UnitState is systemctl is-active's answer: active, activating, failed, ...
	UnitState(ctx context.Context, unit string) (string, error)
}

// OSTreeSystem drives the ostree CLI and systemctl.
type OSTreeSystem struct {
	Sysroot *ostree.Sysroot
	OSName  string
	Log     *slog.Logger
}

func (s *OSTreeSystem) Deployments(ctx context.Context) ([]ostree.DeploymentEntry, error) {
	ds, err := s.Sysroot.ListDeployments(ctx)
	if err != nil {
		return nil, err
	}
	var out []ostree.DeploymentEntry
	for _, d := range ds {
		if s.OSName == "" || d.OSName == s.OSName {
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("sysroot %s has no deployment of %s; install the system first", s.Sysroot.Path, s.OSName)
	}
	return out, nil
}

func (s *OSTreeSystem) Pull(ctx context.Context, refspec, commit string) error {
	remote, _, ok := strings.Cut(refspec, ":")
	if !ok || remote == "" {
		return fmt.Errorf("pull %s: origin refspec %q names no remote; rebase onto an ALTCOS stream (altcos-update rebase STREAM)", commit, refspec)
	}
	return s.Sysroot.Pull(ctx, remote, commit)
}

// Deploy writes the origin itself (ostree admin deploy --origin-file)
// rather than running `ostree admin upgrade`, whose origin is the booted
// deployment's: after a rebase that would lead back to the old stream.
func (s *OSTreeSystem) Deploy(ctx context.Context, refspec, commit string) error {
	ds, err := s.Deployments(ctx)
	if err != nil {
		return err
	}
	// ostree 2022.7 stages only on a booted system (ostree-finalize-staged
	// finishes it at shutdown); on a sysroot that is not booted (tests,
	// offline repair) the deployment is written directly.
	stage := Booted(ds) != nil
	return s.Sysroot.DeployCommitOrigin(ctx, s.OSName, refspec, commit, stage)
}

func (s *OSTreeSystem) Rollback(ctx context.Context) error {
	ds, err := s.Deployments(ctx)
	if err != nil {
		return err
	}
	t, ok := ostree.RollbackTarget(ds)
	if !ok {
		return fmt.Errorf("rollback: sysroot %s has one deployment only; there is nothing to roll back to", s.Sysroot.Path)
	}
	return s.Sysroot.MakeDefault(ctx, t)
}

// rebootArgs is how the agent reboots: through systemd, so units stop cleanly
// and a staged deployment is finalized.
func rebootArgs() []string { return []string{"systemctl", "reboot"} }

func (s *OSTreeSystem) Reboot(ctx context.Context) error {
	return run.Run(ctx, s.Log, run.Cmd{Argv: rebootArgs()})
}

func (s *OSTreeSystem) UnitState(ctx context.Context, unit string) (string, error) {
	out, err := run.Output(ctx, s.Log, run.Cmd{Argv: []string{"systemctl", "is-active", unit}})
	state := strings.TrimSpace(string(out))
	if state != "" {
		// is-active exits non-zero for every state but active; the word is the answer.
		return state, nil
	}
	return "", err
}
