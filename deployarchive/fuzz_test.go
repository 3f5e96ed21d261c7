package deployarchive

import (
	"archive/tar"
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// tarBytes writes hdrs (regular files get Size bytes of 'a') as a plain tar.
func tarBytes(hdrs ...*tar.Header) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range hdrs {
		tw.WriteHeader(h)
		if h.Typeflag == tar.TypeReg && h.Size > 0 {
			tw.Write(bytes.Repeat([]byte{'a'}, int(h.Size)))
		}
	}
	tw.Close()
	return buf.Bytes()
}

func dir(name string, mode int64) *tar.Header {
	return &tar.Header{Name: name, Typeflag: tar.TypeDir, Mode: mode}
}

func reg(name string, mode, size int64) *tar.Header {
	return &tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: mode, Size: size}
}

// FuzzUnpack: whatever tar Unpack reads, it never panics, never writes
// outside its two destinations, and leaves no device node, fifo, or
// set-ID file outside the OS tree.
//
// Inputs are tars (512-byte blocks, KiBs) at about 100 execs/s: the default
// minimization of each new input (60 s) takes the whole run, so run it as
//
//	go test -run XXX -fuzz FuzzUnpack -fuzztime 60s -fuzzminimizetime 1x ./deployarchive
func FuzzUnpack(f *testing.F) {
	seeds := [][]byte{
		// valid: what Pack writes, in small
		tarBytes(dir("root/ostree/", 0o755), dir("root/ostree/repo/", 0o755), dir("root/ostree/repo/objects/", 0o755),
			dir("root/ostree/repo/objects/aa/", 0o755), reg("root/ostree/repo/objects/aa/bb.file", 0o4755, 3),
			dir("root/ostree/deploy/", 0o755), dir("root/ostree/deploy/os/", 0o755), dir("root/ostree/deploy/os/deploy/", 0o755),
			dir("root/ostree/deploy/os/deploy/c.0/", 0o755), dir("root/ostree/deploy/os/deploy/c.0/usr/", 0o755),
			&tar.Header{Name: "root/ostree/deploy/os/deploy/c.0/usr/sudo", Typeflag: tar.TypeLink, Linkname: "root/ostree/repo/objects/aa/bb.file"},
			dir("root/boot/", 0o755), dir("boot/loader.1/", 0o755), reg("boot/loader.1/e.conf", 0o644, 10),
			&tar.Header{Name: "boot/loader", Typeflag: tar.TypeSymlink, Linkname: "loader.1"}),
		tarBytes(dir("root/etc/", 0o755), reg("root/etc/shadow", 0o640, 5), &tar.Header{Name: "root/x", Typeflag: tar.TypeSymlink, Linkname: "/etc/shadow"}),
		// hostile
		tarBytes(reg("root/../../escape", 0o644, 1)),
		tarBytes(&tar.Header{Name: "root/esc", Typeflag: tar.TypeSymlink, Linkname: "../.."}, reg("root/esc/x", 0o644, 1)),
		tarBytes(&tar.Header{Name: "root/esc", Typeflag: tar.TypeSymlink, Linkname: ".."}, dir("root/esc/", 0o755), reg("root/esc/x", 0o644, 1)),
		tarBytes(&tar.Header{Name: "root/null", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 3, Mode: 0o666}),
		tarBytes(reg("root/su", 0o4755, 1)),
		tarBytes(dir("boot/.", 0o777)),
		tarBytes(reg("root/a", 0o644, 1), reg("root/a", 0o644, 1)),
		tarBytes(reg("root/a", 0o644, 1), &tar.Header{Name: "boot/a", Typeflag: tar.TypeLink, Linkname: "root/a"}),
		tarBytes(&tar.Header{Name: "root/l", Typeflag: tar.TypeLink, Linkname: "root/../../etc/passwd"}),
	}
	for _, s := range seeds {
		f.Add(s)
	}
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, tarData []byte) {
		base := t.TempDir()
		root, boot := filepath.Join(base, "r"), filepath.Join(base, "b")
		outside := filepath.Join(base, "outside")
		for _, d := range []string{root, boot, outside} {
			if err := os.Mkdir(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		Unpack(context.Background(), bytes.NewReader(enc.EncodeAll(tarData, nil)), Dest{Root: root, Boot: boot})
		// Nothing outside the destinations: base holds r, b and an empty outside.
		ents, _ := os.ReadDir(base)
		if len(ents) != 3 {
			t.Fatalf("Unpack wrote next to its destinations: %v", ents)
		}
		if o, _ := os.ReadDir(outside); len(o) != 0 {
			t.Fatalf("Unpack wrote outside its destinations: %v", o)
		}
		if fi, err := os.Lstat(boot); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o755 {
			t.Fatalf("Unpack changed the boot destination: %v, %v", fi.Mode(), err)
		}
		for _, top := range []string{root, boot} {
			filepath.WalkDir(top, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return nil
				}
				fi, err := os.Lstat(p)
				if err != nil {
					return nil
				}
				m := fi.Mode()
				if m&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeNamedPipe|fs.ModeSocket) != 0 {
					t.Fatalf("Unpack made a device node or fifo %s (%v)", p, m)
				}
				rel, _ := filepath.Rel(root, p)
				name := "root/" + filepath.ToSlash(rel)
				if top == boot || strings.HasPrefix(rel, "..") {
					name = "boot/x"
				}
				if m&(fs.ModeSetuid|fs.ModeSetgid) != 0 && !osTree.MatchString(name) {
					t.Fatalf("Unpack made set-ID %s (%v) outside the OS tree", p, m)
				}
				return nil
			})
		}
	})
}
