// Package agent is the update agent (altcos-updated) and the operations the
// altcos-update CLI shares with it: find the next release in the update
// graph, pull and deploy it through ostree, let the strategy pick the reboot
// time, and after the reboot check the system's health, rolling back to the
// previous deployment (and never offering that release again) when it fails.
package agent

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/ostree"
	"github.com/altcos/altcos-tools/updates/graph"
)

// Booted returns the booted deployment, or nil on a sysroot that is not the
// running system.
func Booted(ds []ostree.DeploymentEntry) *ostree.DeploymentEntry {
	for i := range ds {
		if ds[i].Booted {
			return &ds[i]
		}
	}
	return nil
}

// Current is the deployment updates start from: the booted one, or on a
// sysroot that is not booted, the default (index 0).
func Current(ds []ostree.DeploymentEntry) ostree.DeploymentEntry {
	if b := Booted(ds); b != nil {
		return *b
	}
	return ds[0]
}

// Base is the deployment updates follow: the default one when it waits for
// its first boot on another origin than the booted one (a rebase is
// pending: updates follow the new stream), otherwise Current.
func Base(ds []ostree.DeploymentEntry) ostree.DeploymentEntry {
	if b := Booted(ds); b != nil && !ds[0].Booted && ds[0].Refspec != "" && ds[0].Refspec != b.Refspec {
		return ds[0]
	}
	return Current(ds)
}

// Roles names the deployments as `altcos-update status` shows them.
type Roles struct {
	Booted   *ostree.DeploymentEntry `json:"booted"`
	Pending  *ostree.DeploymentEntry `json:"pending"`  // the next boot's default, when it is not the booted one
	Rollback *ostree.DeploymentEntry `json:"rollback"` // the previous one, bootable from the menu
	Default  *ostree.DeploymentEntry `json:"default"`
}

// RolesOf finds the roles. On a booted system: pending is the default if it
// is not booted, rollback the first deployment after the booted one. Not
// booted (a sysroot in a directory): the default is pending when there are
// two deployments or more, and the next one is the rollback.
func RolesOf(ds []ostree.DeploymentEntry) Roles {
	var r Roles
	if len(ds) == 0 {
		return r
	}
	r.Default = &ds[0]
	if b := Booted(ds); b != nil {
		r.Booted = b
		if !ds[0].Booted {
			r.Pending = &ds[0]
		}
		if b.Index+1 < len(ds) {
			r.Rollback = &ds[b.Index+1]
		}
		return r
	}
	if len(ds) > 1 {
		r.Pending = &ds[0]
		r.Rollback = &ds[1]
	}
	return r
}

// Origin is a parsed origin refspec, REMOTE:altcos/ARCH/STREAM.
type Origin struct {
	Remote, Ref, Arch, Stream string
}

// ParseRefspec reads an ALTCOS origin refspec.
func ParseRefspec(refspec string) (Origin, error) {
	remote, ref, ok := strings.Cut(refspec, ":")
	if !ok {
		remote, ref = "", refspec
	}
	parts := strings.Split(ref, "/")
	if len(parts) != 3 || parts[1] == "" || parts[2] == "" {
		return Origin{}, fmt.Errorf("origin refspec %q is not REMOTE:altcos/ARCH/STREAM; rebase the deployment onto an ALTCOS stream", refspec)
	}
	return Origin{Remote: remote, Ref: ref, Arch: parts[1], Stream: parts[2]}, nil
}

// skipSet lists the commits the graph must not offer: every deployed one
// (updating to the rollback entry again would undo a rollback) and the
// denied ones.
func skipSet(ds []ostree.DeploymentEntry, denied map[string]string) map[string]bool {
	skip := map[string]bool{}
	for _, d := range ds {
		skip[d.Checksum] = true
	}
	for c := range denied {
		skip[c] = true
	}
	return skip
}

// Update is a release to move to.
type Update struct {
	Version string
	Commit  string
}

// FindUpdate picks the next release for the Base deployment from g.
func FindUpdate(g *graph.Graph, ds []ostree.DeploymentEntry, denied map[string]string, allowDowngrade bool) (Update, bool, error) {
	cur := Base(ds)
	n, ok, err := g.Next(cur.Checksum, graph.Policy{AllowDowngrade: allowDowngrade, Skip: skipSet(ds, denied)})
	if err != nil || !ok {
		return Update{}, false, err
	}
	return Update{Version: n.Version, Commit: n.Payload}, true, nil
}

// Apply pulls u's commit from the remote of refspec and deploys it as the
// next boot's default following refspec, then checks that ostree did so: the
// node must never reboot into anything but the verified default.
func Apply(ctx context.Context, sys System, refspec string, u Update) error {
	if err := sys.Pull(ctx, refspec, u.Commit); err != nil {
		var re *run.Error
		if errors.As(err, &re) && strings.Contains(re.Stderr, "HTTP 404") {
			return fmt.Errorf("pull %s: the remote has no commit %s: the update graph and the repository disagree; fix the server: %w", u.Version, u.Commit, err)
		}
		if why, ok := signatureProblem(err); ok {
			return fmt.Errorf("pull %s: commit %s %s: this system accepts only commits signed with a key of %s (remote %s, gpg-verify=true); nothing was deployed, it stays on its current deployment; have the release signed (altcos-build compose --gpg-sign) or install the signer's key: %w",
				u.Version, u.Commit, why, altcos.KeyringPath, altcos.RemoteName, err)
		}
		return fmt.Errorf("pull %s: %w", u.Version, err)
	}
	if err := sys.Deploy(ctx, refspec, u.Commit); err != nil {
		return fmt.Errorf("deploy %s: %w", u.Version, err)
	}
	ds, err := sys.Deployments(ctx)
	if err != nil {
		return fmt.Errorf("deploy %s: %w", u.Version, err)
	}
	if ds[0].Checksum != u.Commit {
		return fmt.Errorf("deploy %s: the default deployment is %s, not %s", u.Version, ds[0].Checksum, u.Commit)
	}
	return nil
}

// PlatformFromCmdline is the value of ignition.platform.id in a kernel
// command line (metal, qemu, ...), or "".
func PlatformFromCmdline(cmdline string) string {
	for _, f := range strings.Fields(cmdline) {
		if v, ok := strings.CutPrefix(f, "ignition.platform.id="); ok {
			return v
		}
	}
	return ""
}
