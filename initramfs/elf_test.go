package initramfs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
)

func TestInRoot(t *testing.T) {
	root := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "usr/lib/x86_64-linux-gnu"), 0o755))
	must(os.WriteFile(filepath.Join(root, "usr/lib/x86_64-linux-gnu/libc.so.6"), []byte("x"), 0o644))
	must(os.Symlink("usr/lib", filepath.Join(root, "lib")))
	// An absolute link must stay inside root, never reach the build host.
	must(os.Symlink("/usr/lib/x86_64-linux-gnu/libc.so.6", filepath.Join(root, "usr/lib/x86_64-linux-gnu/libc-link")))
	must(os.Symlink("/etc/passwd", filepath.Join(root, "hostlink")))
	tests := []struct {
		in, want string
		err      bool
	}{
		{"/lib/x86_64-linux-gnu/libc.so.6", "usr/lib/x86_64-linux-gnu/libc.so.6", false},
		{"/lib/x86_64-linux-gnu/libc-link", "usr/lib/x86_64-linux-gnu/libc.so.6", false},
		{"/lib/../lib/x86_64-linux-gnu/libc.so.6", "usr/lib/x86_64-linux-gnu/libc.so.6", false},
		{"/hostlink", "", true},
	}
	for _, tt := range tests {
		got, err := inRoot(root, tt.in)
		if tt.err {
			if err == nil {
				t.Errorf("inRoot(%s) = %s, want an error (the target is outside the tree)", tt.in, got)
			}
			continue
		}
		if err != nil || got != filepath.Join(root, tt.want) {
			t.Errorf("inRoot(%s) = %s, %v, want %s", tt.in, got, err, filepath.Join(root, tt.want))
		}
	}
}

// TestAddProgramHost resolves mke2fs's interpreter and libraries on the
// build host (tier 1: needs e2fsprogs).
func TestAddProgramHost(t *testing.T) {
	tooltest.Tools(t, "mkfs.ext4")
	p := "/usr/sbin/mkfs.ext4"
	if _, err := os.Stat(p); err != nil {
		p = "/sbin/mkfs.ext4"
	}
	m := FileMap{}
	if err := AddProgram(m, "/", p, "/usr/sbin/mkfs.ext4"); err != nil {
		t.Fatalf("AddProgram(/, %s) = %v", p, err)
	}
	var haveLibc, haveInterp, haveExt2fs bool
	for dst := range m {
		haveLibc = haveLibc || strings.HasSuffix(dst, "/libc.so.6")
		haveInterp = haveInterp || strings.HasPrefix(filepath.Base(dst), "ld-linux")
		haveExt2fs = haveExt2fs || strings.Contains(dst, "libext2fs.so")
	}
	if !haveLibc || !haveInterp || !haveExt2fs || m["usr/sbin/mkfs.ext4"] == "" {
		t.Errorf("AddProgram(mkfs.ext4) = %v, want the program, libc, libext2fs and the ELF interpreter", m)
	}
}
