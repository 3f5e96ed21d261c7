package ostree

// The pieces the update stack needs to move a deployment between streams
// and to change its kernel arguments with the ostree 2022.7 CLI:
//
//   - `ostree pull --repo=R REMOTE CHECKSUM` fetches one commit without
//     touching any local ref; `ostree pull --repo=R REMOTE REF` fetches a
//     stream's head and moves the local REMOTE:REF.
//   - `ostree admin deploy --origin-file=F CHECKSUM` deploys a commit with an
//     origin of our choosing. `ostree admin upgrade` takes the origin of the
//     merge deployment, which on a booted system is the booted one: after a
//     rebase it would carry the old stream's refspec back.
//   - Boot entries (BLS, /boot/loader/entries/*.conf) carry the kernel
//     arguments; their ostree= argument links to the deployment.

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/altcos/altcos-tools/internal/run"
)

// pullArgs builds `ostree pull --repo=REPO REMOTE REF_OR_CHECKSUM`.
func pullArgs(repo, remote, what string) []string {
	return RepoArgs(repo, "pull", remote, what)
}

// Pull fetches what (a ref of remote, or a commit checksum) into the
// sysroot's repository.
func (s *Sysroot) Pull(ctx context.Context, remote, what string) error {
	if err := run.Run(ctx, s.Log, run.Cmd{Argv: pullArgs(s.RepoPath(), remote, what)}); err != nil {
		return fmt.Errorf("pull %s from remote %s: %w", what, remote, err)
	}
	return nil
}

// originText is an origin file following refspec; with commit set, pinned to
// it (override-commit, as `ostree admin upgrade --override-commit` records).
func originText(refspec, commit string) string {
	s := "[origin]\nrefspec=" + refspec + "\n"
	if commit != "" {
		s += "override-commit=" + commit + "\n"
	}
	return s
}

// DeployCommitOrigin deploys the pulled commit as the next boot's default
// with an origin following refspec (pinned to commit), staged when stage is
// set.
func (s *Sysroot) DeployCommitOrigin(ctx context.Context, osname, refspec, commit string, stage bool) error {
	f, err := os.CreateTemp("", "altcos-origin-*")
	if err != nil {
		return fmt.Errorf("deploy commit %s: %w", commit, err)
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(originText(refspec, commit)); err != nil {
		f.Close()
		return fmt.Errorf("deploy commit %s: write origin: %w", commit, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("deploy commit %s: write origin: %w", commit, err)
	}
	if err := s.Deploy(ctx, DeployOptions{OSName: osname, Refspec: commit, OriginFile: f.Name(), Stage: stage}); err != nil {
		return fmt.Errorf("deploy commit %s: %w", commit, err)
	}
	return nil
}

// BootEntry is one BLS boot entry of the sysroot.
type BootEntry struct {
	Path       string   // file under boot/loader/entries
	Title      string   // title line
	Options    []string // kernel arguments, ostree= included
	Deployment string   // CHECKSUM.SERIAL that ostree= leads to
}

// Kargs are the entry's kernel arguments without ostree=, which ostree
// writes itself.
func (e BootEntry) Kargs() []string {
	var out []string
	for _, o := range e.Options {
		if !strings.HasPrefix(o, "ostree=") {
			out = append(out, o)
		}
	}
	return out
}

// BootEntries reads the sysroot's current boot entries.
func (s *Sysroot) BootEntries() ([]BootEntry, error) {
	paths, err := filepath.Glob(filepath.Join(s.Path, "boot/loader/entries/*.conf"))
	if err != nil {
		return nil, err
	}
	var out []BootEntry
	for _, p := range paths {
		e, err := readBootEntry(s.Path, p)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func readBootEntry(sysroot, p string) (BootEntry, error) {
	e := BootEntry{Path: p}
	f, err := os.Open(p)
	if err != nil {
		return e, fmt.Errorf("read boot entry: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, val, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		switch key {
		case "title":
			e.Title = strings.TrimSpace(val)
		case "options":
			e.Options = strings.Fields(val)
		}
	}
	if err := sc.Err(); err != nil {
		return e, fmt.Errorf("read boot entry %s: %w", p, err)
	}
	for _, o := range e.Options {
		if v, ok := strings.CutPrefix(o, "ostree="); ok {
			target, err := filepath.EvalSymlinks(filepath.Join(sysroot, v))
			if err != nil {
				return e, fmt.Errorf("boot entry %s: %s leads nowhere: %w", p, o, err)
			}
			e.Deployment = filepath.Base(target)
		}
	}
	return e, nil
}

// DeploymentKargs returns the kernel arguments of deployment d from its
// boot entry.
func (s *Sysroot) DeploymentKargs(d DeploymentEntry) ([]string, error) {
	es, err := s.BootEntries()
	if err != nil {
		return nil, err
	}
	for _, e := range es {
		if e.Deployment == d.ID() {
			return e.Kargs(), nil
		}
	}
	return nil, fmt.Errorf("no boot entry of deployment %s in %s/boot/loader/entries", d.ID(), s.Path)
}

// KargEdits are `altcos-update kargs` edits in rpm-ostree's terms.
type KargEdits struct {
	Append  []string // KEY=VALUE or KEY, added (a key may repeat)
	Delete  []string // KEY=VALUE, or KEY when it has one value
	Replace []string // KEY=VALUE (every value of KEY becomes VALUE) or KEY=OLD=NEW
}

// Empty reports whether there is nothing to change.
func (k KargEdits) Empty() bool {
	return len(k.Append)+len(k.Delete)+len(k.Replace) == 0
}

// Apply puts the edits into o as ostree admin deploy's --karg (replace a
// key), --karg-append and --karg-delete. KEY=OLD=NEW becomes a delete of
// KEY=OLD and an append of KEY=NEW: ostree 2022.7's --karg would take OLD=NEW
// as the new value.
func (k KargEdits) Apply(o *DeployOptions) error {
	for _, a := range k.Append {
		if a == "" || strings.HasPrefix(a, "=") {
			return fmt.Errorf("kernel argument %q to append has no key; write KEY or KEY=VALUE", a)
		}
		o.KargsAppend = append(o.KargsAppend, a)
	}
	for _, d := range k.Delete {
		if d == "" || strings.HasPrefix(d, "=") {
			return fmt.Errorf("kernel argument %q to delete has no key; write KEY or KEY=VALUE", d)
		}
		o.KargsDelete = append(o.KargsDelete, d)
	}
	for _, r := range k.Replace {
		key, rest, ok := strings.Cut(r, "=")
		if !ok || key == "" {
			return fmt.Errorf("kernel argument replacement %q: write KEY=VALUE or KEY=OLD=NEW", r)
		}
		if old, nv, three := strings.Cut(rest, "="); three {
			o.KargsDelete = append(o.KargsDelete, key+"="+old)
			o.KargsAppend = append(o.KargsAppend, key+"="+nv)
			continue
		}
		o.Kargs = append(o.Kargs, r)
	}
	return nil
}
