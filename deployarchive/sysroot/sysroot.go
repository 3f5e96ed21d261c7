// Package sysroot builds the deploy archive of a composed commit: the real
// ostree CLI makes a complete sysroot in a scratch folder, which is packed
// with deployarchive.Pack (DESIGN.md, "Why a deploy archive").
//
// It is apart from package deployarchive because it runs ostree (package
// ostree, internal/run): deployarchive itself stays free of them, since the
// live system's PID 1 and the installer import it.
package sysroot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/compose"
	"github.com/altcos/altcos-tools/deployarchive"
	"github.com/altcos/altcos-tools/internal/fsutil"
	"github.com/altcos/altcos-tools/ostree"
)

// PlaceholderRootKarg is the root argument the archive's boot entry carries
// until the installer writes root=UUID=<the root filesystem> in its place.
const PlaceholderRootKarg = "root=LABEL=root"

// DefaultKargs are the stream's kernel arguments, written by `ostree admin
// deploy` and kept by every later deploy (ostree merges them).
var DefaultKargs = []string{"rw"}

// Options are the inputs of Build.
type Options struct {
	Repo      string // repository holding the composed commit
	Stream    string
	Arch      string   // default altcos.DefaultArch
	RemoteURL string   // URL of the remote altcos; default compose.DefaultRemoteURL
	Kargs     []string // stream kernel arguments; nil means DefaultKargs
	OutDir    string   // gets deployarchive.ArchiveName and ManifestName
	// Time, when set (SOURCE_DATE_EPOCH), clamps the archive's mtimes.
	Time time.Time
	Log  *slog.Logger
}

// Build makes the deploy archive of the stream's commit: the real
// ostree CLI makes a complete sysroot in a scratch directory (init-fs
// --modern, os-init, pull-local, remote altcos, ref altcos:<ref>, grub2 as
// the bootloader, deploy with the stream's kernel arguments), which is packed
// into OutDir/deploy.tar.zst with its manifest OutDir/deploy.json.
func Build(ctx context.Context, o Options) (*deployarchive.Manifest, error) {
	if o.Arch == "" {
		o.Arch = altcos.DefaultArch
	}
	if o.RemoteURL == "" {
		o.RemoteURL = compose.DefaultRemoteURL
	}
	if o.Kargs == nil {
		o.Kargs = DefaultKargs
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if err := altcos.ValidateStream(o.Stream); err != nil {
		return nil, err
	}
	if err := altcos.ValidateArch(o.Arch); err != nil {
		return nil, err
	}
	ref := altcos.Ref(o.Arch, o.Stream)
	repo := &ostree.Repo{Path: o.Repo, Log: o.Log}
	if !ostree.IsRepo(o.Repo) {
		return nil, fmt.Errorf("%s is not an ostree repository; compose one with `altcos-build compose --repo %s`", o.Repo, o.Repo)
	}
	commit, ok, err := repo.Resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("repository %s has no ref %s; compose the stream first (`altcos-build compose --repo %s --stream %s TREE`)", o.Repo, ref, o.Repo, o.Stream)
	}
	m := &deployarchive.Manifest{Format: deployarchive.Format, OSName: altcos.OSName, Arch: o.Arch, Stream: o.Stream, Ref: ref, Commit: commit}
	if m.Version, err = repo.Metadata(ctx, commit, altcos.MetaVersion); err != nil {
		return nil, fmt.Errorf("commit %s of %s: %w", commit, ref, err)
	}
	if m.IgnitionSpec, err = repo.Metadata(ctx, commit, altcos.MetaIgnitionSpec); err != nil {
		return nil, fmt.Errorf("commit %s of %s: %w; compose it with altcos-build compose", commit, ref, err)
	}
	// A commit without its kernel would deploy, and the disk would not boot.
	if _, err := compose.CommitKernel(ctx, repo, commit); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp(o.OutDir, ".sysroot-")
	if err != nil {
		return nil, err
	}
	defer removeSysroot(work)
	s := &ostree.Sysroot{Path: filepath.Join(work, "sysroot"), Log: o.Log}
	if err := os.Mkdir(s.Path, 0o755); err != nil {
		return nil, err
	}
	gen, err := ostree.WriteGRUB2Generator(work)
	if err != nil {
		return nil, err
	}
	m.Kargs = append([]string{PlaceholderRootKarg}, o.Kargs...)
	remoteRef := altcos.Refspec(o.Arch, o.Stream)
	steps := []struct {
		name string
		fn   func() error
	}{
		{"init-fs", func() error { return s.InitFS(ctx, true) }},
		{"os-init", func() error { return s.OSInit(ctx, altcos.OSName) }},
		{"pull-local", func() error { return s.PullLocal(ctx, o.Repo, commit) }},
		{"remote add", func() error {
			// An OS that defines the remote in /etc/ostree/remotes.d must
			// not get a second definition in the repo config: ostree
			// refuses a remote defined twice.
			if hasFile(ctx, repo, commit, remotesDConf) {
				return nil
			}
			return s.AddRemote(ctx, altcos.RemoteName, o.RemoteURL)
		}},
		{"refs", func() error { return s.CreateRef(ctx, remoteRef, commit) }},
		// ostree's grub2 integration: every later deploy rewrites
		// /boot/loader/grub.cfg (see installer/bootloader).
		{"bootloader", func() error { return s.SetConfig(ctx, "sysroot.bootloader", "grub2") }},
		{"deploy", func() error {
			return s.Deploy(ctx, ostree.DeployOptions{OSName: altcos.OSName, Refspec: remoteRef, Kargs: m.Kargs, GRUB2Exec: gen})
		}},
	}
	for _, st := range steps {
		if err := st.fn(); err != nil {
			return nil, fmt.Errorf("make sysroot: %s: %w", st.name, err)
		}
	}
	// The sysroot's own repo holds no archive objects, only the deployed
	// commit; remove the generator so it is not packed.
	if err := os.Remove(gen); err != nil {
		return nil, err
	}
	if err := pack(ctx, s.Path, o, m); err != nil {
		return nil, err
	}
	o.Log.Info("deploy archive", "version", m.Version, "commit", m.Commit, "bytes", m.Archive.Size)
	return m, nil
}

// pack writes the archive of the sysroot and then its manifest into
// o.OutDir, each through a temporary file: a failure leaves neither half.
func pack(ctx context.Context, sysroot string, o Options, m *deployarchive.Manifest) error {
	err := fsutil.WriteAtomic(filepath.Join(o.OutDir, deployarchive.ArchiveName), 0o644, func(w io.Writer) error {
		h := sha256.New()
		cw := &countWriter{}
		sz, err := deployarchive.Pack(ctx, io.MultiWriter(w, h, cw), sysroot, o.Time)
		if err != nil {
			return fmt.Errorf("pack sysroot: %w", err)
		}
		m.RootBytes, m.BootBytes = sz.RootBytes, sz.BootBytes
		m.Archive = deployarchive.FileInfo{Name: deployarchive.ArchiveName, Size: cw.n, SHA256: hex.EncodeToString(h.Sum(nil))}
		if err := m.Validate(); err != nil {
			return fmt.Errorf("manifest: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(filepath.Join(o.OutDir, deployarchive.ManifestName), m.Marshal(), 0o644)
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// remotesDConf is where an OS tree defines the remote altcos itself.
const remotesDConf = "/usr/etc/ostree/remotes.d/" + altcos.RemoteName + ".conf"

// hasFile reports whether path exists in commit.
func hasFile(ctx context.Context, repo *ostree.Repo, commit, path string) bool {
	_, err := repo.Ls(ctx, commit, false, path)
	return err == nil
}

// removeSysroot removes a scratch sysroot: ostree makes each deployment root
// immutable, which RemoveAll cannot undo by itself.
func removeSysroot(dir string) {
	deploys, _ := filepath.Glob(filepath.Join(dir, "sysroot/ostree/deploy/*/deploy/*"))
	for _, d := range deploys {
		if err := clearImmutable(d); err != nil && !errors.Is(err, os.ErrNotExist) {
			continue
		}
	}
	os.RemoveAll(dir)
}

const fsImmutableFL = 0x10 // FS_IMMUTABLE_FL

func clearImmutable(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err != nil || flags&fsImmutableFL == 0 {
		return err
	}
	return unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags&^fsImmutableFL))
}
