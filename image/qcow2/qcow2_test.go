package qcow2

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/deployarchive"
	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
)

// fakeInstaller writes a marker into the image it is given and records its
// arguments, or fails when asked.
func fakeInstaller(t *testing.T, fail bool) (prog, argsFile string) {
	t.Helper()
	dir := t.TempDir()
	argsFile = filepath.Join(dir, "args")
	prog = filepath.Join(dir, "altcos-installer")
	script := "#!/bin/sh\necho \"$@\" > " + argsFile + "\n"
	if fail {
		script += "echo 'install: partition: no space' >&2\nexit 4\n"
	} else {
		script += "for last; do :; done\nprintf ALTCOS-INSTALLED | dd of=\"$last\" bs=1 seek=1048576 conv=notrunc 2>/dev/null\n"
	}
	if err := os.WriteFile(prog, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return prog, argsFile
}

func TestBuild(t *testing.T) {
	tooltest.Tools(t, "qemu-img")
	archive := newArchive(t)
	prog, argsFile := fakeInstaller(t, false)
	out := filepath.Join(t.TempDir(), "altcos.qcow2")
	if err := Build(context.Background(), Options{Output: out, ArchiveDir: archive, Installer: prog, SizeBytes: 8 << 30}); err != nil {
		t.Fatalf("Build = %v", err)
	}
	args, _ := os.ReadFile(argsFile)
	for _, want := range []string{"install --image-mode --platform qemu --yes --no-reboot --console tty0 --console ttyS0,115200n8 --image-file " + filepath.Join(archive, "deploy.tar.zst")} {
		if !strings.Contains(string(args), want) {
			t.Errorf("installer args = %s, want %q", args, want)
		}
	}
	info, err := run.Output(context.Background(), nil, run.Cmd{Argv: []string{"qemu-img", "info", out}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(info), "file format: qcow2") || !strings.Contains(string(info), "virtual size: 8 GiB") {
		t.Errorf("qemu-img info %s =\n%s\nwant qcow2 of 8 GiB", out, info)
	}
	entries, _ := os.ReadDir(filepath.Dir(out))
	if len(entries) != 1 {
		t.Errorf("Build left %d files beside the output, want only it", len(entries)-1)
	}
}

func TestBuildInstallerFails(t *testing.T) {
	archive := newArchive(t)
	prog, _ := fakeInstaller(t, true)
	out := filepath.Join(t.TempDir(), "altcos.qcow2")
	err := Build(context.Background(), Options{Output: out, ArchiveDir: archive, Installer: prog, SizeBytes: 8 << 30})
	if err == nil || !strings.Contains(err.Error(), "no space") {
		t.Errorf("Build(failing installer) = %v, want the installer's error", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(out))
	if len(entries) != 0 {
		t.Errorf("Build failure left %d files, want none", len(entries))
	}
}

// newArchive is a folder with a fake deploy archive and its manifest.
func newArchive(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range map[string]string{
		deployarchive.ArchiveName:  "not really an archive",
		deployarchive.ManifestName: `{"format":1,"stream":"sisyphus","version":"sisyphus.20261125.0.0","commit":"abc"}`,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
