package compose

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/ostree"
)

// LockName is the file in the repository that serializes composes.
const LockName = "altcos-compose.lock"

// openRepo opens the repository (or creates it), takes the compose lock and
// reads the stream's head: its version, package set and OS files.
func openRepo(ctx context.Context, s *state) error {
	s.repo = &ostree.Repo{Path: s.opts.Repo, Log: s.log}
	if err := initRepo(ctx, s.repo); err != nil {
		return err
	}
	// One compose per repository at a time: two at once would both read
	// the same head and commit the same version twice (seen when two make
	// targets composed into out/repo together). The second one waits, then
	// usually finds nothing changed.
	unlock, err := lockRepo(s.opts.Repo, s.log)
	if err != nil {
		return err
	}
	s.unlock = unlock
	head, ok, err := s.repo.Resolve(ctx, s.res.Ref)
	if err != nil {
		return fmt.Errorf("read ref %s in %s: %w", s.res.Ref, s.opts.Repo, err)
	}
	if !ok {
		return nil
	}
	s.res.Parent = head
	bad := func(err error) error { return fmt.Errorf("previous commit %s of %s: %w", head, s.res.Ref, err) }
	vs, err := s.repo.Metadata(ctx, head, altcos.MetaVersion)
	if err != nil {
		return bad(err)
	}
	v, err := altcos.ParseVersion(vs)
	if err != nil {
		return bad(err)
	}
	s.prev = &v
	ps, err := s.repo.Metadata(ctx, head, altcos.MetaManifest)
	if err != nil {
		return bad(err)
	}
	if s.prevPackages, err = DecodePackages(ps); err != nil {
		return bad(err)
	}
	s.prevOSFiles, err = s.repo.Metadata(ctx, head, altcos.MetaOSFiles)
	if err != nil && !errors.Is(err, ostree.ErrNoMetadata) {
		return bad(err)
	}
	return nil
}

func lockRepo(repo string, log *slog.Logger) (func(), error) {
	f, err := os.OpenFile(filepath.Join(repo, LockName), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock ostree repo %s: %w", repo, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		log.Info("another compose holds the repository; waiting", "repo", repo)
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			return nil, fmt.Errorf("lock ostree repo %s: %w", repo, err)
		}
	}
	return func() { f.Close() }, nil
}

// initRepo checks that repo is an ostree repository, or creates an archive
// repository where there is nothing (a missing or empty directory).
func initRepo(ctx context.Context, repo *ostree.Repo) error {
	if repo.Path == "" {
		return errors.New("no ostree repository given (--repo)")
	}
	if ostree.IsRepo(repo.Path) {
		return nil
	}
	ents, err := os.ReadDir(repo.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist) || err == nil && len(ents) == 0:
		if err := repo.Init(ctx, ostree.ModeArchive); err != nil {
			return fmt.Errorf("create ostree repo %s: %w", repo.Path, err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("ostree repo %s: %w", repo.Path, err)
	}
	return fmt.Errorf("%s is not an ostree repository (no config and objects/); give an ostree repo, or a new or empty directory to create one", repo.Path)
}

// commit commits the prepared tree with its metadata on the ref, its parent
// the head the version was computed from, then updates the summary.
func commit(ctx context.Context, s *state) error {
	v := s.version.String()
	co := ostree.CommitOptions{
		Branch:  s.res.Ref,
		Parent:  s.res.Parent,
		Tree:    s.root,
		Subject: v,
		Metadata: map[string]string{
			altcos.MetaVersion:      v,
			altcos.MetaStream:       s.opts.Stream,
			altcos.MetaManifest:     s.packages.Encode(),
			altcos.MetaIgnitionSpec: s.res.IgnitionSpec,
			altcos.MetaKernel:       s.res.Kernel,
			altcos.MetaOSFiles:      s.osfilesSum,
		},
		Bootable: true,
	}
	if s.reproducible {
		co.Timestamp = "@" + strconv.FormatInt(s.opts.Time.Unix(), 10)
	}
	sum, err := s.repo.Commit(ctx, co)
	if err != nil {
		return fmt.Errorf("commit %s on %s: %w", v, s.res.Ref, err)
	}
	if err := signCommit(ctx, s, sum); err != nil {
		return err
	}
	s.res.Commit, s.res.Created = sum, true
	if err := s.repo.SummaryUpdate(ctx); err != nil {
		return fmt.Errorf("update the summary of %s: %w", s.opts.Repo, err)
	}
	s.log.Info("committed", "ref", s.res.Ref, "version", v, "commit", sum)
	return nil
}
