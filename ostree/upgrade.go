package ostree

// The update stack's side of the wrapper: read the deployments back from
// `ostree admin status`, make the rollback deployment the default, undeploy,
// clean up, and read a ref's history for the update graph. Pulling a commit
// and deploying it with its origin is in origin.go; upgradeArgs stays for
// `ostree admin upgrade --override-commit`, which the update stack no longer
// runs (its origin is the booted deployment's, see origin.go).
//
// The installed ostree is Debian bookworm's 2022.7, which shapes three choices
// (checked by hand on that version):
//   - `ostree admin status` has no --json, so its text output is parsed here.
//   - `ostree admin deploy --stage` (and `upgrade --stage`) refuses outside a
//     booted system ("Not currently booted into an OSTree system"), so callers
//     stage only when a deployment is booted and deploy directly otherwise.
//   - There is no `ostree admin set-default`. A rollback is done with what
//     2022.7 has: deploy the rollback deployment's commit again with its own
//     origin file and --retain (it becomes the default), then undeploy the old
//     copy. The booted deployment and every other one stay untouched.

import (
	"bufio"
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/altcos/altcos-tools/internal/run"
)

// DeploymentEntry is one deployment as `ostree admin status` lists it, in
// boot order: index 0 is the default the next boot uses.
type DeploymentEntry struct {
	Index    int    `json:"index"`
	OSName   string `json:"osname"`
	Checksum string `json:"checksum"`
	Serial   int    `json:"serial"`
	Version  string `json:"version,omitempty"`
	Refspec  string `json:"origin_refspec,omitempty"`
	Booted   bool   `json:"booted"`
	Staged   bool   `json:"staged"`
	Pinned   bool   `json:"pinned"`
	// Marks ostree prints on a booted system: "pending" (newer than booted)
	// and "rollback" (older than booted).
	PendingMark  bool `json:"-"`
	RollbackMark bool `json:"-"`
}

// ID is the deployment's directory name, CHECKSUM.SERIAL.
func (d DeploymentEntry) ID() string { return d.Checksum + "." + strconv.Itoa(d.Serial) }

// OriginPath is the deployment's origin file relative to the sysroot.
func (d DeploymentEntry) OriginPath() string {
	return filepath.Join("ostree/deploy", d.OSName, "deploy", d.ID()+".origin")
}

// parseAdminStatus parses the text of `ostree admin status` (2022.7 format):
//
//   - alt-containeros 33b0...76e.0 (pending)
//     Version: sisyphus.20261125.2.0
//     origin refspec: altcos:altcos/x86_64/sisyphus
func parseAdminStatus(text string) ([]DeploymentEntry, error) {
	var out []DeploymentEntry
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		if strings.HasPrefix(line, "* ") || (strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "    ")) {
			d, err := parseDeploymentLine(line)
			if err != nil {
				return nil, err
			}
			d.Index = len(out)
			out = append(out, d)
			continue
		}
		if len(out) == 0 {
			// Lines before the first deployment ("No deployments.") carry nothing.
			continue
		}
		d := &out[len(out)-1]
		key, val, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch strings.ToLower(key) {
		case "version":
			d.Version = val
		case "origin refspec":
			d.Refspec = val
		case "pinned":
			d.Pinned = val == "yes"
		}
	}
	return out, sc.Err()
}

func parseDeploymentLine(line string) (DeploymentEntry, error) {
	var d DeploymentEntry
	d.Booted = strings.HasPrefix(line, "* ")
	f := strings.Fields(line[2:])
	if len(f) < 2 {
		return d, fmt.Errorf("parse ostree admin status line %q: want OSNAME CHECKSUM.SERIAL", line)
	}
	d.OSName = f[0]
	sum, serial, ok := strings.Cut(f[1], ".")
	n, err := strconv.Atoi(serial)
	if !ok || err != nil || len(sum) != 64 {
		return d, fmt.Errorf("parse ostree admin status line %q: bad deployment id %q", line, f[1])
	}
	d.Checksum, d.Serial = sum, n
	for _, m := range f[2:] {
		switch strings.Trim(m, "()") {
		case "staged":
			d.Staged = true
		case "pending":
			d.PendingMark = true
		case "rollback":
			d.RollbackMark = true
		}
	}
	return d, nil
}

// ListDeployments runs `ostree admin status` and parses it.
func (s *Sysroot) ListDeployments(ctx context.Context) ([]DeploymentEntry, error) {
	// Not s.output: trimming would eat the first line's indentation, which
	// tells a booted deployment ("* ") from the others ("  ").
	out, err := run.Output(ctx, s.Log, run.Cmd{Argv: AdminArgs(s.Path, "status")})
	if err != nil {
		return nil, fmt.Errorf("list deployments of sysroot %s: %w", s.Path, err)
	}
	return parseAdminStatus(string(out))
}

// UpgradeOpts are the options of one `ostree admin upgrade` run.
type UpgradeOpts struct {
	OS             string // osname; empty: the booted or default one
	Commit         string // --override-commit: the exact commit to pull or deploy
	PullOnly       bool
	DeployOnly     bool
	Stage          bool // finalize at shutdown; needs a booted system
	AllowDowngrade bool
}

// upgradeArgs builds `ostree admin upgrade` for o. Upgrading (rather than
// `deploy`) keeps the deployment's origin refspec and remote, so a pull goes
// to the remote the system was installed from.
func upgradeArgs(sysroot string, o UpgradeOpts) []string {
	var args []string
	args = appendValue(args, "--os=", o.OS)
	args = appendValue(args, "--override-commit=", o.Commit)
	args = appendIf(args, o.PullOnly, "--pull-only")
	args = appendIf(args, o.DeployOnly, "--deploy-only")
	args = appendIf(args, o.Stage, "--stage")
	args = appendIf(args, o.AllowDowngrade, "--allow-downgrade")
	return AdminArgs(sysroot, "upgrade", args...)
}

// redeployArgs builds the `ostree admin deploy` that puts d's commit back on
// top with d's own origin, keeping every other deployment (--retain).
func redeployArgs(sysroot string, d DeploymentEntry) []string {
	return AdminArgs(sysroot, "deploy", "--os="+d.OSName, "--retain",
		"--origin-file="+filepath.Join(sysroot, d.OriginPath()), d.Checksum)
}

// undeployArgs builds `ostree admin undeploy INDEX`.
func undeployArgs(sysroot string, index int) []string {
	return AdminArgs(sysroot, "undeploy", strconv.Itoa(index))
}

// UndeployIndex deletes the deployment at index.
func (s *Sysroot) UndeployIndex(ctx context.Context, index int) error {
	if err := run.Run(ctx, s.Log, run.Cmd{Argv: undeployArgs(s.Path, index)}); err != nil {
		return fmt.Errorf("undeploy deployment %d: %w", index, err)
	}
	return nil
}

// cleanupArgs builds `ostree admin cleanup`: it deletes deployments no
// longer listed and the repository objects nothing refers to.
func cleanupArgs(sysroot string) []string { return AdminArgs(sysroot, "cleanup") }

// Cleanup runs `ostree admin cleanup`.
func (s *Sysroot) Cleanup(ctx context.Context) error {
	if err := run.Run(ctx, s.Log, run.Cmd{Argv: cleanupArgs(s.Path)}); err != nil {
		return fmt.Errorf("clean up sysroot %s: %w", s.Path, err)
	}
	return nil
}

// RollbackTarget says which deployment a rollback makes the default, from the
// deployments in boot order: with a booted deployment that is not the default
// (an update is pending), the booted one; otherwise the first deployment after
// the default (ostree's "rollback"). ok is false when there is nothing to roll
// back to.
func RollbackTarget(ds []DeploymentEntry) (target DeploymentEntry, ok bool) {
	for _, d := range ds {
		if d.Booted && d.Index > 0 {
			return d, true
		}
	}
	if len(ds) < 2 {
		return DeploymentEntry{}, false
	}
	return ds[1], true
}

// MakeDefault makes d (a deployment listed by ListDeployments) the default
// for the next boot, keeping the others: see the file comment for why it
// redeploys. When d is booted, the pending deployments before it are
// undeployed instead (it cannot be redeployed over itself without leaving two
// copies of the booted commit).
func (s *Sysroot) MakeDefault(ctx context.Context, d DeploymentEntry) error {
	if d.Index == 0 {
		return nil
	}
	if d.Booted {
		for i := d.Index - 1; i >= 0; i-- {
			if err := s.UndeployIndex(ctx, i); err != nil {
				return fmt.Errorf("make booted deployment %s the default: %w", d.ID(), err)
			}
		}
		return nil
	}
	if err := run.Run(ctx, s.Log, run.Cmd{Argv: redeployArgs(s.Path, d)}); err != nil {
		return fmt.Errorf("make deployment %s the default: %w", d.ID(), err)
	}
	// The new copy is at index 0, so the old one moved one place down.
	if err := s.UndeployIndex(ctx, d.Index+1); err != nil {
		return fmt.Errorf("make deployment %s the default: remove the old copy: %w", d.ID(), err)
	}
	return nil
}

// HistoryCommit is one commit of a ref's history as `ostree log` prints it.
type HistoryCommit struct {
	Checksum string
	Parent   string
	Version  string
	Date     string
	Subject  string
}

// parseRefHistory parses `ostree log` output: newest first, as printed.
func parseRefHistory(text string) ([]HistoryCommit, error) {
	var out []HistoryCommit
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "commit "); ok {
			sum := strings.TrimSpace(rest)
			if len(sum) != 64 {
				return nil, fmt.Errorf("parse ostree log: bad commit line %q", line)
			}
			out = append(out, HistoryCommit{Checksum: sum})
			continue
		}
		if len(out) == 0 {
			continue
		}
		c := &out[len(out)-1]
		if strings.HasPrefix(line, "    ") {
			if c.Subject == "" {
				c.Subject = strings.TrimSpace(line)
			}
			continue
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch key {
		case "Parent":
			c.Parent = val
		case "Version":
			c.Version = val
		case "Date":
			c.Date = val
		}
	}
	return out, sc.Err()
}

// RefHistory returns the commits of ref, newest first, as far as the
// repository holds them.
func (r *Repo) RefHistory(ctx context.Context, ref string) ([]HistoryCommit, error) {
	out, err := r.output(ctx, "log", ref)
	if err != nil {
		return nil, fmt.Errorf("history of ref %s in %s: %w", ref, r.Path, err)
	}
	cs, err := parseRefHistory(out)
	if err != nil {
		return nil, fmt.Errorf("history of ref %s in %s: %w", ref, r.Path, err)
	}
	if len(cs) == 0 {
		return nil, fmt.Errorf("history of ref %s in %s: no commits", ref, r.Path)
	}
	return cs, nil
}
