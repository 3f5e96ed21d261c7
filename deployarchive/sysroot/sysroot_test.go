package sysroot

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/deployarchive"
	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/internal/testkit/testcommit"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
)

func TestBuild(t *testing.T) {
	tooltest.Root(t)
	tooltest.Tools(t, testcommit.Tools...)
	ctx := context.Background()
	dir := t.TempDir()
	repo, commit, err := testcommit.Make(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	m, err := Build(ctx, Options{Repo: repo, Stream: "sisyphus", OutDir: out})
	if err != nil {
		t.Fatalf("Build = %v", err)
	}
	want := deployarchive.Manifest{Format: 1, OSName: altcos.OSName, Arch: altcos.DefaultArch, Stream: "sisyphus", Ref: testcommit.Ref,
		Version: testcommit.Version, Commit: commit, IgnitionSpec: testcommit.IgnitionSpec}
	if m.OSName != want.OSName || m.Ref != want.Ref || m.Version != want.Version || m.Commit != want.Commit || m.IgnitionSpec != want.IgnitionSpec {
		t.Errorf("Build manifest = %+v, want %+v", m, want)
	}
	if strings.Join(m.Kargs, " ") != PlaceholderRootKarg+" rw" {
		t.Errorf("manifest kargs = %q, want %q", m.Kargs, PlaceholderRootKarg+" rw")
	}
	read, err := deployarchive.ReadManifest(filepath.Join(out, deployarchive.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	size, sum, err := deployarchive.HashFile(filepath.Join(out, deployarchive.ArchiveName))
	if err != nil || size != read.Archive.Size || sum != read.Archive.SHA256 {
		t.Errorf("archive = %d %s, manifest says %d %s", size, sum, read.Archive.Size, read.Archive.SHA256)
	}
	// The OS defines the remote in /etc/ostree/remotes.d: no second definition.
	dst := t.TempDir()
	os.MkdirAll(filepath.Join(dst, "boot"), 0o755)
	f, err := os.Open(filepath.Join(out, deployarchive.ArchiveName))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := deployarchive.Unpack(ctx, f, deployarchive.Dest{Root: dst, Boot: filepath.Join(dst, "boot")}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { testcommit.ClearImmutable(dst) })
	cfg, _ := os.ReadFile(filepath.Join(dst, "ostree/repo/config"))
	if strings.Contains(string(cfg), `remote "altcos"`) || !strings.Contains(string(cfg), "bootloader=grub2") {
		t.Errorf("sysroot repo config = %s, want grub2 and no remote altcos (the OS's remotes.d defines it)", cfg)
	}
	if ents, _ := os.ReadDir(out); len(ents) != 2 {
		t.Errorf("output directory holds %d entries, want the archive and the manifest only", len(ents))
	}
	// Bad inputs: a repo without the ref, a commit without a kernel.
	if _, err := Build(ctx, Options{Repo: repo, Stream: "p10", OutDir: out}); err == nil || !strings.Contains(err.Error(), "has no ref altcos/x86_64/p10") {
		t.Errorf("Build(stream p10) = %v, want a missing ref error", err)
	}
	empty := filepath.Join(dir, "nokernel")
	os.MkdirAll(filepath.Join(empty, "usr/bin"), 0o755)
	if err := run.Run(ctx, nil, run.Cmd{Argv: []string{"ostree", "commit", "--repo=" + repo, "--branch=altcos/x86_64/nokernel",
		"--add-metadata-string=version=nokernel.20261125.0.0", "--add-metadata-string=altcos.ignition-spec=3.3.0", "--tree=dir=" + empty}}); err != nil {
		t.Fatal(err)
	}
	if _, err := Build(ctx, Options{Repo: repo, Stream: "nokernel", OutDir: out}); err == nil || !strings.Contains(err.Error(), "no kernel") {
		t.Errorf("Build(commit without kernel) = %v, want a no-kernel error", err)
	}
}
