package ostree

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/altcos/altcos-tools/internal/run"
)

// Repository modes accepted by Init (ostree init --mode=).
const (
	ModeArchive  = "archive" // archive-z2: served over HTTP, what the image build writes
	ModeBare     = "bare"
	ModeBareUser = "bare-user"
)

// ErrNoMetadata is returned by Metadata when a commit lacks the key.
var ErrNoMetadata = errors.New("no such metadata key")

// IsRepo reports whether dir looks like an ostree repository (a config file
// with a [core] group and an objects directory). It runs no tool: callers use
// it to refuse a wrong --repo before anything is written.
func IsRepo(dir string) bool {
	cfg, err := os.ReadFile(filepath.Join(dir, "config"))
	if err != nil || !strings.Contains(string(cfg), "[core]") {
		return false
	}
	st, err := os.Stat(filepath.Join(dir, "objects"))
	return err == nil && st.IsDir()
}

// initArgs builds the argv of `ostree init --repo=PATH --mode=MODE`.
func initArgs(repo, mode string) []string {
	return RepoArgs(repo, "init", "--mode="+mode)
}

// Init creates the repository in mode (ModeArchive, ModeBare, ...).
func (r *Repo) Init(ctx context.Context, mode string) error {
	if err := os.MkdirAll(r.Path, 0o755); err != nil {
		return fmt.Errorf("create ostree repo %s: %w", r.Path, err)
	}
	return run.Run(ctx, r.Log, run.Cmd{Argv: initArgs(r.Path, mode)})
}

// CommitOptions describes one `ostree commit`.
type CommitOptions struct {
	// Branch is the ref to commit on; empty with Orphan.
	Branch string
	// Orphan makes a commit without a ref (the caller sets a ref later).
	Orphan bool
	// Tree is the directory to commit (--tree=dir=).
	Tree    string
	Subject string
	Body    string
	// Timestamp, when non-empty, is the commit time: "@<unix seconds>"
	// (SOURCE_DATE_EPOCH) or anything ostree's --timestamp accepts.
	Timestamp string
	// Metadata are string metadata keys (--add-metadata-string), written in
	// sorted key order so the argv is stable.
	Metadata map[string]string
	// Bootable adds --bootable (ostree.bootable, ostree.linux metadata).
	Bootable bool
	// Parent, when set, is the parent commit ("none" for no parent).
	Parent string
}

// commitArgs builds the argv of `ostree commit` for o.
func commitArgs(repo string, o CommitOptions) []string {
	var args []string
	if o.Orphan {
		args = append(args, "--orphan")
	} else {
		args = append(args, "--branch="+o.Branch)
	}
	args = appendValue(args, "--parent=", o.Parent)
	args = appendValue(args, "--subject=", o.Subject)
	args = appendValue(args, "--body=", o.Body)
	args = appendValue(args, "--timestamp=", o.Timestamp)
	args = appendIf(args, o.Bootable, "--bootable")
	keys := make([]string, 0, len(o.Metadata))
	for k := range o.Metadata {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "--add-metadata-string="+k+"="+o.Metadata[k])
	}
	args = append(args, "--tree=dir="+o.Tree)
	return RepoArgs(repo, "commit", args...)
}

// Commit writes a commit and returns its checksum.
func (r *Repo) Commit(ctx context.Context, o CommitOptions) (string, error) {
	if o.Tree == "" {
		return "", errors.New("ostree commit: no tree given")
	}
	if !o.Orphan && o.Branch == "" {
		return "", errors.New("ostree commit: no branch given (or Orphan)")
	}
	out, err := run.Output(ctx, r.Log, run.Cmd{Argv: commitArgs(r.Path, o)})
	if err != nil {
		return "", err
	}
	sum := strings.TrimSpace(string(out))
	if !IsChecksum(sum) {
		return "", fmt.Errorf("ostree commit printed %q, want a checksum", sum)
	}
	return sum, nil
}

// IsChecksum reports whether s is a full ostree (sha256) checksum.
func IsChecksum(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// RevParse resolves a ref or commit prefix to a full checksum.
func (r *Repo) RevParse(ctx context.Context, rev string) (string, error) {
	return r.output(ctx, "rev-parse", rev)
}

// Refs lists the refs of the repository, sorted.
func (r *Repo) Refs(ctx context.Context) ([]string, error) {
	out, err := r.output(ctx, "refs")
	if err != nil {
		return nil, err
	}
	var refs []string
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			refs = append(refs, l)
		}
	}
	sort.Strings(refs)
	return refs, nil
}

// Resolve returns the commit a ref points at, or ok=false when the ref does
// not exist (unlike RevParse, a missing ref is not an error).
func (r *Repo) Resolve(ctx context.Context, ref string) (sum string, ok bool, err error) {
	refs, err := r.Refs(ctx)
	if err != nil {
		return "", false, err
	}
	i := sort.SearchStrings(refs, ref)
	if i == len(refs) || refs[i] != ref {
		return "", false, nil
	}
	sum, err = r.RevParse(ctx, ref)
	return sum, err == nil, err
}

// SetRef points ref at commit (creating or moving it), `ostree reset` for an
// existing ref and `ostree refs --create` for a new one.
func (r *Repo) SetRef(ctx context.Context, ref, commit string) error {
	_, ok, err := r.Resolve(ctx, ref)
	if err != nil {
		return err
	}
	if ok {
		_, err = r.output(ctx, "reset", ref, commit)
	} else {
		_, err = r.output(ctx, "refs", "--create="+ref, commit)
	}
	return err
}

// metadataArgs builds the argv of `ostree show --print-metadata-key=KEY REV`.
func metadataArgs(repo, rev, key string) []string {
	return RepoArgs(repo, "show", "--print-metadata-key="+key, rev)
}

// Metadata returns the string value of the commit metadata key at rev (a ref
// or a checksum). A missing key gives an error wrapping ErrNoMetadata.
func (r *Repo) Metadata(ctx context.Context, rev, key string) (string, error) {
	out, err := run.Output(ctx, r.Log, run.Cmd{Argv: metadataArgs(r.Path, rev, key)})
	if err != nil {
		var re *run.Error
		if errors.As(err, &re) && strings.Contains(re.Stderr, "No such metadata key") {
			return "", fmt.Errorf("commit %s: metadata %s: %w", rev, key, ErrNoMetadata)
		}
		return "", err
	}
	v, err := parseGVariantString(strings.TrimSpace(string(out)))
	if err != nil {
		return "", fmt.Errorf("commit %s: metadata %s: %w", rev, key, err)
	}
	return v, nil
}

// parseGVariantString decodes a GVariant text-format string as printed by
// `ostree show --print-metadata-key` ('...' or "...", with backslash escapes).
func parseGVariantString(s string) (string, error) {
	if len(s) < 2 || (s[0] != '\'' && s[0] != '"') || s[len(s)-1] != s[0] {
		return "", fmt.Errorf("not a GVariant string: %.40q", s)
	}
	body := s[1 : len(s)-1]
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(body) {
			return "", errors.New("GVariant string ends in a backslash")
		}
		switch e := body[i]; e {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'v':
			b.WriteByte('\v')
		case 'a':
			b.WriteByte('\a')
		case 'u', 'U':
			n := 4
			if e == 'U' {
				n = 8
			}
			if i+1+n > len(body) {
				return "", fmt.Errorf("short \\%c escape in GVariant string", e)
			}
			cp, err := strconv.ParseUint(body[i+1:i+1+n], 16, 32)
			if err != nil {
				return "", fmt.Errorf("bad \\%c escape in GVariant string: %w", e, err)
			}
			b.WriteRune(rune(cp))
			i += n
		default:
			b.WriteByte(e) // \\ \' \" and anything else stand for themselves
		}
	}
	return b.String(), nil
}

// History returns the text of `ostree log REV` (commit, parents, Version: lines).
func (r *Repo) History(ctx context.Context, rev string) (string, error) {
	return r.output(ctx, "log", rev)
}

// lsArgs builds the argv of `ostree ls [-R] REV PATH...`.
func lsArgs(repo, rev string, recursive bool, paths ...string) []string {
	args := []string{}
	if recursive {
		args = append(args, "-R")
	}
	args = append(args, rev)
	args = append(args, paths...)
	return RepoArgs(repo, "ls", args...)
}

// Ls lists paths in rev (each line of `ostree ls` reduced to its path,
// symlinks without their target).
func (r *Repo) Ls(ctx context.Context, rev string, recursive bool, paths ...string) ([]string, error) {
	out, err := run.Output(ctx, r.Log, run.Cmd{Argv: lsArgs(r.Path, rev, recursive, paths...)})
	if err != nil {
		return nil, err
	}
	return parseLs(string(out)), nil
}

// parseLs extracts the paths from `ostree ls` output, whose lines are
// "MODE UID GID SIZE PATH" or "MODE UID GID SIZE PATH -> TARGET".
func parseLs(out string) []string {
	var paths []string
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) < 5 {
			continue
		}
		paths = append(paths, f[4])
	}
	return paths
}

// SummaryUpdate regenerates the repository summary (`ostree summary -u`),
// which pulls over HTTP need to find refs.
func (r *Repo) SummaryUpdate(ctx context.Context) error {
	_, err := r.output(ctx, "summary", "-u")
	return err
}

// Fsck checks every object of the repository.
func (r *Repo) Fsck(ctx context.Context) error {
	_, err := r.output(ctx, "fsck")
	return err
}

// Cat writes the content of the file path in rev to w (`ostree cat`).
func (r *Repo) Cat(ctx context.Context, rev, path string, w io.Writer) error {
	return run.Run(ctx, r.Log, run.Cmd{Argv: RepoArgs(r.Path, "cat", rev, path), Stdout: w})
}
