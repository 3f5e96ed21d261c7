// Package compose turns an OS tree into an ALTCOS commit: an ostree commit
// on altcos/<arch>/<stream> (altcos.Ref). The whole job is the step list in
// Run; each phase has its file (stage, checks, packages, versions, users,
// boot, osrelease, layout, var, commit).
//
// # What Run does to a copy of the tree (directory or tarball)
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
//     and /usr/local become symlinks into /var; the package database (dpkg
//     today) moves to /usr/lib/sysimage;
//   - `ostree commit` with the metadata below, `ostree gpg-sign` when a key
//     is given (sign.go), then `ostree summary -u`.
//
// # Commit metadata (string values, read with ostree.Repo.Metadata)
//
//	version                 <stream>.<YYYYMMDD>.<major>.<minor> (altcos.MetaVersion)
//	altcos.stream           the stream, e.g. sisyphus (altcos.MetaStream)
//	altcos.manifest         package set, JSON {"name":"version",...} (altcos.MetaManifest, Packages.Encode)
//	altcos.ignition-spec    highest Ignition config spec the OS reads, e.g. 3.3.0 (altcos.MetaIgnitionSpec)
//	altcos.kernel           kernel version, the <kver> of /usr/lib/modules (altcos.MetaKernel)
//	altcos.osfiles          sha256 of the OS files laid over the tree (altcos.MetaOSFiles)
//
// plus ostree's own ostree.bootable and ostree.linux (--bootable).
//
// # Versions
//
// See NextVersion: a new package set gives a new major on today's date, new
// package versions a new minor, and no change no commit at all. A change of
// the OS files only (osfiles/, compared by altcos.MetaOSFiles) or --force
// counts as new package versions.
//
// # Concurrency
//
// Composes into one repository run one at a time (a lock file, LockName, in
// the repository); a waiting compose then computes its version from the new
// head.
//
// # Reproducibility
//
// With Options.Time set (altcos-build takes it from SOURCE_DATE_EPOCH) the
// commit timestamp, the version date, dracut's image (--reproducible) and
// the shadow tools' dates are that time, so the same inputs give the same
// commit checksum in a new repository.
//
// FindKernel and CommitKernel are the one rule for where a tree or a commit
// keeps its kernel; the image builders use them too.
package compose

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/ostree"
)

// DefaultRemoteURL is the URL of the remote altcos written into the OS:
// the repository `altcos-build serve` offers to QEMU guests (10.0.2.2 is
// the host on QEMU's user network). Real builds pass their own.
const DefaultRemoteURL = "http://10.0.2.2:8080/repo"

// Options are the inputs of Run.
type Options struct {
	// Repo is the ostree repository; created (archive mode) when it does not
	// exist or is an empty directory.
	Repo string
	// Stream, e.g. sisyphus or p10.
	Stream string
	// Arch in the ref; altcos.DefaultArch when empty.
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
	// GPGKey, when set, signs each commit with this GnuPG key (fingerprint
	// or key ID) from GPGHomedir ("" for gpg's default), ships its public
	// key at altcos.KeyringPath and makes the remote altcos verify (sign.go).
	GPGKey     string
	GPGHomedir string
	Log        *slog.Logger
}

// Result says what Run did.
type Result struct {
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

// state is carried through the steps of one compose.
type state struct {
	opts         Options
	log          *slog.Logger
	reproducible bool     // opts.Time was given
	env          []string // for the tools run on the tree (SOURCE_DATE_EPOCH)
	res          Result

	treeIsDir bool
	repo      *ostree.Repo
	unlock    func()
	// The head of the ref, if any: its version, package set and OS files.
	prev         *altcos.Version
	prevPackages Packages
	prevOSFiles  string

	osfilesSum string
	work       string // holds root; removed at the end when temporary
	removeWork bool
	root       string // the copy of the tree being prepared
	packages   Packages
	version    altcos.Version

	// done stops the steps early with success: nothing changed, no commit.
	done bool
}

type step struct {
	name string
	fn   func(ctx context.Context, s *state) error
}

// steps is the compose, in order. Nothing before "commit" changes the
// repository's refs: on any error the stream's head is as it was.
var steps = []step{
	{"check inputs", checkInputs},                      // checks.go: stream, arch, tree, OS files
	{"check the signing key", checkSigningKey},         // sign.go: the secret key is at hand
	{"open repository", openRepo},                      // commit.go: create if new, lock, read the head
	{"hash OS files", hashOSFiles},                     // stage.go
	{"skip an unchanged tree", skipUnchanged},          // checks.go: the head's packages and OS files: no copy
	{"stage tree", stageTree},                          // stage.go: copy the tree, lay the OS files over it
	{"check tree", checkTree},                          // checks.go: one kernel, dracut and its modules
	{"read packages", readPackages},                    // packages.go: package set, Ignition spec, next version
	{"add user altcos", addUser},                       // users.go
	{"write os-release", writeOSRelease},               // osrelease.go; before the initramfs: dracut copies it
	{"build the initramfs", buildInitramfs},            // boot.go: the tree's dracut in a chroot
	{"move the kernel", moveKernel},                    // boot.go: to /usr/lib/modules/<kver>, /boot emptied
	{"write the signing keyring", writeKeyring},        // sign.go: public key for gpgkeypath
	{"write the ostree remote", writeRemote},           // layout.go
	{"remove machine-local files", removeMachine},      // layout.go
	{"make the ostree mount points", mountPoints},      // layout.go
	{"move /etc to /usr/etc", moveEtc},                 // layout.go
	{"move /var content to tmpfiles.d", varToTmpfiles}, // var.go
	{"empty API filesystems", emptyAPIDirs},            // layout.go
	{"commit", commit},                                 // commit.go: ostree commit, summary
}

// Run prepares opts.Tree and commits it on altcos/<arch>/<stream> (see the
// package documentation). When nothing changed since the head it makes no
// commit and says so (Result.Created false).
func Run(ctx context.Context, opts Options) (Result, error) {
	s := &state{opts: opts, log: opts.Log}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.opts.Arch == "" {
		s.opts.Arch = altcos.DefaultArch
	}
	if s.opts.RemoteURL == "" {
		s.opts.RemoteURL = DefaultRemoteURL
	}
	s.reproducible = !s.opts.Time.IsZero()
	if !s.reproducible {
		s.opts.Time = time.Now()
	}
	s.opts.Time = s.opts.Time.UTC()
	if s.reproducible {
		s.env = []string{"SOURCE_DATE_EPOCH=" + strconv.FormatInt(s.opts.Time.Unix(), 10)}
	}
	s.res.Ref = altcos.Ref(s.opts.Arch, s.opts.Stream)
	defer func() {
		if s.removeWork {
			os.RemoveAll(s.work)
		}
		if s.unlock != nil {
			s.unlock()
		}
	}()
	for _, st := range steps {
		if err := ctx.Err(); err != nil {
			return s.res, fmt.Errorf("%s: %w", st.name, err)
		}
		s.log.Info("compose", "step", st.name)
		if err := st.fn(ctx, s); err != nil {
			return s.res, fmt.Errorf("%s: %w", st.name, err)
		}
		if s.done {
			s.log.Info("nothing changed; no new commit", "ref", s.res.Ref, "version", s.res.Version)
			break
		}
	}
	return s.res, nil
}
