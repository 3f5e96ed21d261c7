// Package isobuild turns an OS tree into what ALTCOS ships: an ostree commit
// on a stream (this file: Compose), then the deploy archive, ISO, QCOW2, PXE
// files and stream metadata built from that commit.
//
// # Compose
//
// Compose prepares a copy of an OS tree (directory or tarball) the way
// ALTCOS prepares its rootfs and commits it on altcos/<arch>/<stream>:
//
//   - the project's OS files (osfiles/) are laid over the tree;
//   - the one kernel goes to /usr/lib/modules/<kver>/vmlinuz and the tree's
//     own dracut (run in the tree) writes initramfs.img next to it, with the
//     ostree, ignition and altcos modules, not host-only;
//   - user altcos in groups wheel and docker; /etc/ostree/remotes.d/altcos.conf;
//     os-release with ID=altcos and the version; machine-local files removed
//     (SSH host keys, machine-id content, hostname);
//   - /etc moves to /usr/etc; /var is emptied, what it held is recreated at
//     boot by /usr/lib/tmpfiles.d/altcos-var.conf; /home /opt /srv /root /mnt
//     and /usr/local become symlinks into /var; the dpkg database moves to
//     /usr/lib/sysimage/dpkg;
//   - `ostree commit` with the metadata below, then `ostree summary -u`.
//
// # Commit metadata (string values, read with ostree.Repo.Metadata)
//
//	version                 <stream>.<YYYYMMDD>.<major>.<minor> (MetaVersion)
//	altcos.stream           the stream, e.g. sisyphus (MetaStream)
//	altcos.manifest         package manifest, JSON {"name":"version",...} (MetaManifest)
//	altcos.ignition-spec    highest Ignition config spec the OS reads, e.g. 3.3.0 (MetaIgnitionSpec)
//	altcos.kernel           kernel version, the <kver> of /usr/lib/modules (MetaKernel)
//	altcos.osfiles          sha256 of the OS files laid over the tree (MetaOSFiles)
//
// plus ostree's own ostree.bootable and ostree.linux (--bootable).
//
// # Versions
//
// See NextVersion: a new package set gives a new major on today's date, new
// package versions a new minor, and no change no commit at all. A change of
// the OS files only (osfiles/, compared by MetaOSFiles) or --force counts as
// new package versions.
//
// # Concurrency
//
// Composes into one repository run one at a time (a lock file,
// ComposeLock, in the repository); a waiting compose then computes its
// version from the new head.
//
// # Reproducibility
//
// With ComposeOptions.Time set (altcos-build takes it from SOURCE_DATE_EPOCH)
// the commit timestamp, the version date, dracut's image (--reproducible) and
// the shadow tools' dates are that time, so the same inputs give the same
// commit checksum in a new repository.
package isobuild

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
	"time"

	"github.com/altcos/altcos-tools/ostree"
)

// Commit metadata keys written by Compose.
const (
	MetaVersion      = "version"
	MetaStream       = "altcos.stream"
	MetaManifest     = "altcos.manifest"
	MetaIgnitionSpec = "altcos.ignition-spec"
	MetaKernel       = "altcos.kernel"
	MetaOSFiles      = "altcos.osfiles"
)

// DefaultArch is the architecture in refs when none is given.
const DefaultArch = "x86_64"

// DefaultRemoteURL is the URL of the remote altcos written into the OS:
// the repository `altcos-build serve` offers to QEMU guests (10.0.2.2 is
// the host on QEMU's user network). Real builds pass their own.
const DefaultRemoteURL = "http://10.0.2.2:8080/repo"

// DracutModules are the dracut modules every ALTCOS initramfs carries:
// ostree (ostree-prepare-root), ignition (first boot), altcos (ours, from
// osfiles/: the Ignition config from the boot partition, boot drivers).
var DracutModules = []string{"ostree", "ignition", "altcos"}

// Ref is the ref of a stream: altcos/<arch>/<stream>.
func Ref(arch, stream string) string { return "altcos/" + arch + "/" + stream }

// ComposeOptions are the inputs of Compose.
type ComposeOptions struct {
	// Repo is the ostree repository; created (archive mode) when it does not
	// exist or is an empty directory.
	Repo string
	// Stream, e.g. sisyphus or p10.
	Stream string
	// Arch in the ref; DefaultArch when empty.
	Arch string
	// Tree is the OS tree: a directory, or a tarball tar can read.
	Tree string
	// OSFiles is a directory laid over the tree (the project's osfiles/);
	// empty for none.
	OSFiles string
	// WorkDir is where the tree copy is prepared (WorkDir/root, which must
	// not exist yet; kept afterwards for inspection). Empty: a temporary
	// directory next to the repository, removed afterwards.
	WorkDir string
	// Time is the build time: version date, commit timestamp, dracut and
	// shadow dates. Zero means now, and the build is not reproducible.
	Time time.Time
	// RemoteURL of the remote altcos in the OS; DefaultRemoteURL when empty.
	RemoteURL string
	// Force a new commit (a new minor version) even when neither the
	// packages nor the OS files changed, e.g. after a change of compose.
	Force bool
	Log   *slog.Logger
}

// ComposeResult says what Compose did.
type ComposeResult struct {
	Ref     string
	Commit  string // the new commit, or the unchanged head when !Created
	Parent  string // previous head of Ref, empty for the first commit
	Version string
	Created bool   // false: nothing changed, no commit was made
	Change  Change // against the previous commit
	Kernel  string
	// IgnitionSpec is the highest Ignition config spec the OS reads.
	IgnitionSpec string
	Packages     int
}

// Compose prepares opts.Tree and commits it on altcos/<arch>/<stream>
// (see the package documentation). On any error the repository's refs are
// unchanged: everything is checked and prepared before `ostree commit`.
func Compose(ctx context.Context, opts ComposeOptions) (ComposeResult, error) {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Arch == "" {
		opts.Arch = DefaultArch
	}
	if opts.RemoteURL == "" {
		opts.RemoteURL = DefaultRemoteURL
	}
	reproducible := !opts.Time.IsZero()
	if !reproducible {
		opts.Time = time.Now()
	}
	opts.Time = opts.Time.UTC()
	res := ComposeResult{Ref: Ref(opts.Arch, opts.Stream)}

	// 1. Validate what needs no tool.
	if err := ValidateStream(opts.Stream); err != nil {
		return res, err
	}
	if !streamRe.MatchString(opts.Arch) {
		return res, fmt.Errorf("architecture %q is not valid (e.g. x86_64)", opts.Arch)
	}
	if opts.Tree == "" {
		return res, errors.New("no OS tree given")
	}
	treeInfo, err := os.Stat(opts.Tree)
	if err != nil {
		return res, fmt.Errorf("OS tree %s: %w", opts.Tree, err)
	}
	if opts.OSFiles != "" {
		if st, err := os.Stat(opts.OSFiles); err != nil || !st.IsDir() {
			return res, fmt.Errorf("OS files %s: not a directory (give the project's osfiles/)", opts.OSFiles)
		}
	}

	// 2. Open the repository (or create it) and read the stream's head.
	repo := &ostree.Repo{Path: opts.Repo, Log: log}
	if err := openRepo(ctx, repo); err != nil {
		return res, err
	}
	// One compose per repository at a time: two at once would both read
	// the same head and commit the same version twice (seen when two make
	// targets composed into out/repo together). The second one waits, then
	// usually finds nothing changed.
	unlock, err := lockRepo(opts.Repo, log)
	if err != nil {
		return res, err
	}
	defer unlock()
	var prev *Version
	var prevManifest Manifest
	var prevOSFiles string
	head, ok, err := repo.Resolve(ctx, res.Ref)
	if err != nil {
		return res, fmt.Errorf("read ref %s in %s: %w", res.Ref, opts.Repo, err)
	}
	if ok {
		res.Parent = head
		vs, err := repo.Metadata(ctx, head, MetaVersion)
		if err != nil {
			return res, fmt.Errorf("previous commit %s of %s: %w", head, res.Ref, err)
		}
		v, err := ParseVersion(vs)
		if err != nil {
			return res, fmt.Errorf("previous commit %s of %s: %w", head, res.Ref, err)
		}
		prev = &v
		ms, err := repo.Metadata(ctx, head, MetaManifest)
		if err != nil {
			return res, fmt.Errorf("previous commit %s of %s: %w", head, res.Ref, err)
		}
		if prevManifest, err = DecodeManifest(ms); err != nil {
			return res, fmt.Errorf("previous commit %s of %s: %w", head, res.Ref, err)
		}
		prevOSFiles, err = repo.Metadata(ctx, head, MetaOSFiles)
		if err != nil && !errors.Is(err, ostree.ErrNoMetadata) {
			return res, fmt.Errorf("previous commit %s of %s: %w", head, res.Ref, err)
		}
	}

	osfilesSum := ""
	if opts.OSFiles != "" {
		if osfilesSum, err = HashOSFiles(opts.OSFiles); err != nil {
			return res, err
		}
	}

	// 3. A directory whose packages and OS files are those of the head needs
	// no copy at all: say so before copying hundreds of megabytes.
	if prev != nil && treeInfo.IsDir() && !opts.Force && osfilesSum == prevOSFiles {
		if m, err := ReadManifest(ctx, log, opts.Tree); err == nil && Compare(prevManifest, m) == Unchanged {
			// The same checks as on the copy, so bad input is refused alike.
			if _, err := findKernel(opts.Tree); err != nil {
				return res, fmt.Errorf("OS tree %s: %w", opts.Tree, err)
			}
			if err := checkDracut(opts.Tree, opts.OSFiles); err != nil {
				return res, fmt.Errorf("OS tree %s: %w", opts.Tree, err)
			}
			if _, _, err := NextVersion(opts.Stream, prev, prevManifest, m, false, opts.Time); err != nil {
				return res, err
			}
			res.Version, res.Change, res.Commit, res.Packages = prev.String(), Unchanged, head, len(m)
			res.Kernel, _ = repo.Metadata(ctx, head, MetaKernel)
			res.IgnitionSpec, _ = repo.Metadata(ctx, head, MetaIgnitionSpec)
			log.Info("nothing changed; no new commit", "ref", res.Ref, "version", res.Version)
			return res, nil
		}
	}

	// 4. Copy the tree into a work directory and lay the OS files over it.
	work := opts.WorkDir
	if work == "" {
		abs, err := filepath.Abs(opts.Repo)
		if err != nil {
			return res, err
		}
		if work, err = os.MkdirTemp(filepath.Dir(abs), ".compose-"); err != nil {
			return res, fmt.Errorf("make work directory: %w", err)
		}
		defer os.RemoveAll(work)
	}
	root := filepath.Join(work, "root")
	if exists(root) {
		return res, fmt.Errorf("work directory %s already holds a tree (root/); remove it or give another --workdir", work)
	}
	if err := stageTree(ctx, log, opts.Tree, treeInfo.IsDir(), root); err != nil {
		return res, err
	}
	if opts.OSFiles != "" {
		if err := overlay(opts.OSFiles, root); err != nil {
			return res, err
		}
	}

	// 5. Check the tree: one kernel, dracut with the modules we need.
	kver, err := findKernel(root)
	if err != nil {
		return res, fmt.Errorf("OS tree %s: %w", opts.Tree, err)
	}
	res.Kernel = kver
	if err := checkDracut(root); err != nil {
		return res, fmt.Errorf("OS tree %s: %w", opts.Tree, err)
	}

	// 6. Packages, Ignition spec, version.
	manifest, err := ReadManifest(ctx, log, root)
	if err != nil {
		return res, err
	}
	res.Packages = len(manifest)
	ignVer, ok := manifest["ignition"]
	if !ok {
		return res, fmt.Errorf("OS tree %s has no ignition package; install ignition", opts.Tree)
	}
	if res.IgnitionSpec, err = IgnitionSpec(ignVer); err != nil {
		return res, fmt.Errorf("OS tree %s: %w", opts.Tree, err)
	}
	filesChanged := opts.Force || osfilesSum != prevOSFiles
	v, change, err := NextVersion(opts.Stream, prev, prevManifest, manifest, filesChanged, opts.Time)
	if err != nil {
		return res, err
	}
	res.Version, res.Change = v.String(), change
	if change == Unchanged {
		res.Commit = head
		log.Info("nothing changed; no new commit", "ref", res.Ref, "version", res.Version)
		return res, nil
	}

	// 7. Prepare the tree the ALTCOS way.
	env := []string{}
	if reproducible {
		env = append(env, "SOURCE_DATE_EPOCH="+strconv.FormatInt(opts.Time.Unix(), 10))
	}
	steps := []struct {
		name string
		fn   func() error
	}{
		{"add user altcos", func() error { return addUser(ctx, log, root, env) }},
		// os-release first: dracut copies it into the initramfs.
		{"write os-release", func() error { return writeOSRelease(root, v, opts.Stream) }},
		{"build the initramfs", func() error { return buildInitramfs(ctx, log, root, kver, env) }},
		{"move the kernel", func() error { return moveKernel(root, kver) }},
		{"write the ostree remote", func() error { return writeRemote(root, opts.RemoteURL) }},
		{"remove machine-local files", func() error { return removeMachineLocal(root) }},
		{"make the ostree mount points", func() error { return ostreeMountPoints(root) }},
		{"move /etc to /usr/etc", func() error { return moveEtc(root) }},
		{"move /var content to tmpfiles.d", func() error { return varToTmpfiles(root, log) }},
		{"empty API filesystems", func() error { return emptyAPIDirs(root, log) }},
	}
	for _, s := range steps {
		log.Info("compose", "step", s.name)
		if err := s.fn(); err != nil {
			return res, fmt.Errorf("%s: %w", s.name, err)
		}
	}

	// 8. Commit, then the summary.
	co := ostree.CommitOptions{
		Branch:  res.Ref,
		Parent:  res.Parent, // the head the version was computed from
		Tree:    root,
		Subject: v.String(),
		Metadata: map[string]string{
			MetaVersion:      v.String(),
			MetaStream:       opts.Stream,
			MetaManifest:     manifest.Encode(),
			MetaIgnitionSpec: res.IgnitionSpec,
			MetaKernel:       kver,
			MetaOSFiles:      osfilesSum,
		},
		Bootable: true,
	}
	if reproducible {
		co.Timestamp = "@" + strconv.FormatInt(opts.Time.Unix(), 10)
	}
	sum, err := repo.Commit(ctx, co)
	if err != nil {
		return res, fmt.Errorf("commit %s on %s: %w", v, res.Ref, err)
	}
	res.Commit, res.Created = sum, true
	if err := repo.SummaryUpdate(ctx); err != nil {
		return res, fmt.Errorf("update the summary of %s: %w", opts.Repo, err)
	}
	log.Info("committed", "ref", res.Ref, "version", res.Version, "commit", sum)
	return res, nil
}

// ComposeLock is the file in the repository that serializes composes.
const ComposeLock = "altcos-compose.lock"

func lockRepo(repo string, log *slog.Logger) (func(), error) {
	f, err := os.OpenFile(filepath.Join(repo, ComposeLock), os.O_CREATE|os.O_RDWR, 0o644)
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

// openRepo checks that repo is an ostree repository, or creates an archive
// repository where there is nothing (a missing or empty directory).
func openRepo(ctx context.Context, repo *ostree.Repo) error {
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
