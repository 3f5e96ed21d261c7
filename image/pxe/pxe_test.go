package pxe

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/u-root/mkuimage/cpio"

	"github.com/altcos/altcos-tools/deployarchive"
)

func TestBuild(t *testing.T) {
	f := newFixture(t)
	out := filepath.Join(t.TempDir(), "pxe")
	a, err := Build(context.Background(), Options{OutDir: out, Tree: f.tree, Initramfs: f.initramfs, ArchiveDir: f.archive})
	if err != nil {
		t.Fatalf("Build = %v", err)
	}
	if want := Names(out, "x86_64", "sisyphus.20261125.0.0"); *a != want {
		t.Errorf("Build artifacts = %+v, want %+v", *a, want)
	}
	for p, want := range map[string]string{a.Kernel: "not really a kernel", a.Initramfs: "not really an initramfs", a.Archive: "not really an archive"} {
		if got, _ := os.ReadFile(p); string(got) != want {
			t.Errorf("%s = %q, want %q", p, got, want)
		}
	}
	r, err := os.Open(a.Rootfs)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	recs, err := cpio.ReadAllRecords(cpio.Newc.Reader(r))
	if err != nil {
		t.Fatalf("read rootfs cpio: %v", err)
	}
	got := map[string]string{}
	for _, rec := range recs {
		data, _ := io.ReadAll(io.NewSectionReader(rec.ReaderAt, 0, int64(rec.FileSize)))
		got[rec.Name] = string(data)
	}
	dir := strings.TrimPrefix(deployarchive.LiveMount, "/") + "/altcos/"
	if got[dir+"deploy.tar.zst"] != "not really an archive" || !strings.Contains(got[dir+"deploy.json"], "sisyphus.20261125.0.0") {
		t.Errorf("rootfs cpio = %v, want the archive and manifest under %s", got, dir)
	}
	if _, ok := got["run"]; !ok {
		t.Errorf("rootfs cpio has no parent folder run: %v", got)
	}
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("Build left %s", e.Name())
		}
	}
}

func TestBuildNoKernel(t *testing.T) {
	f := newFixture(t)
	out := filepath.Join(t.TempDir(), "pxe")
	_, err := Build(context.Background(), Options{OutDir: out, Tree: t.TempDir(), Initramfs: f.initramfs, ArchiveDir: f.archive})
	if err == nil || !strings.Contains(err.Error(), "no kernel") {
		t.Errorf("Build(tree without kernel) = %v, want a no-kernel error", err)
	}
}

// fixture is an OS tree with a fake kernel, a fake live initramfs and a
// fake deploy archive (tier 0).
func newFixture(t *testing.T) fixture {
	t.Helper()
	dir := t.TempDir()
	f := fixture{tree: filepath.Join(dir, "tree"), initramfs: filepath.Join(dir, "initramfs.img"), archive: filepath.Join(dir, "archive")}
	files := map[string]string{
		filepath.Join(f.tree, "usr/lib/modules/6.1.0-test/vmlinuz"): "not really a kernel",
		f.initramfs: "not really an initramfs",
		filepath.Join(f.archive, deployarchive.ArchiveName):  "not really an archive",
		filepath.Join(f.archive, deployarchive.ManifestName): `{"format":1,"arch":"x86_64","stream":"sisyphus","version":"sisyphus.20261125.0.0","commit":"abc"}`,
	}
	for p, data := range files {
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

type fixture struct{ tree, initramfs, archive string }
