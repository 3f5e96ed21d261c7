package initramfs

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/u-root/mkuimage/cpio"

	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
)

// moduleRoot is the altcos-tools source tree (two levels above this package).
func moduleRoot(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// TestBuild builds a live initramfs with a fake module tree and the host's
// tools, and checks what the archive holds (tier 1: Go toolchain, e2fsprogs,
// dosfstools; about a minute of compiling).
func TestBuild(t *testing.T) {
	tooltest.Tools(t, "go", "mkfs.ext4", "mkfs.vfat", "grub-mkimage", "mcopy", "mmd", "gpgv")
	tooltest.Slow(t)
	out := filepath.Join(t.TempDir(), "initramfs.img")
	err := Build(context.Background(), Options{
		Output:        out,
		ModulesDir:    "testdata/modules/6.1.0-test",
		KernelVersion: "6.1.0-test",
		ToolsRoot:     "/",
		GoModuleDir:   moduleRoot(t),
		TempDir:       t.TempDir(),
	})
	if err != nil {
		t.Fatalf("Build = %v", err)
	}
	names := readArchive(t, out)
	for _, want := range []string{
		"init", "bin/sh", "bbin/altcos-installer", "bin/altcos-live", "bbin/bb", "bbin/gosh",
		"usr/sbin/mkfs.ext4", "usr/sbin/mkfs.vfat", "usr/sbin/grub-mkimage", "usr/sbin/mcopy", "usr/sbin/mmd", "usr/lib/x86_64-linux-gnu/gconv/IBM850.so", "etc/altcos/live-modules",
		"lib/modules/6.1.0-test/modules.dep", "lib/modules/6.1.0-test/kernel/fs/isofs/isofs.ko",
		"lib/modules/6.1.0-test/kernel/drivers/cdrom/cdrom.ko", "dev/console",
	} {
		if _, ok := names[want]; !ok {
			t.Errorf("initramfs has no %s", want)
		}
	}
	if !strings.HasSuffix(names["init"], "altcos-live") {
		t.Errorf("init -> %q, want altcos-live", names["init"])
	}
	if _, ok := names["lib/modules/6.1.0-test/kernel/fs/btrfs/btrfs.ko"]; ok {
		t.Errorf("initramfs carries btrfs.ko, which the live system does not need")
	}
}

// readArchive returns the archive's names with symlink targets.
func readArchive(t *testing.T, p string) map[string]string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := zstd.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("decompress %s: %v", p, err)
	}
	rr := cpio.Newc.Reader(strings.NewReader(string(data)))
	recs, err := cpio.ReadAllRecords(rr)
	if err != nil {
		t.Fatalf("read cpio %s: %v", p, err)
	}
	names := map[string]string{}
	for _, r := range recs {
		target := ""
		if r.Mode&cpio.S_IFMT == cpio.S_IFLNK {
			b, _ := io.ReadAll(io.NewSectionReader(r.ReaderAt, 0, int64(r.FileSize)))
			target = string(b)
		}
		names[r.Name] = target
	}
	return names
}
