package deployarchive

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"golang.org/x/sys/unix"
)

// makeSysroot writes a small sysroot-like tree: a hardlinked object in the
// repo and the deployment, a kernel hardlinked into /boot (as ostree does on
// one filesystem), a symlink, modes and an xattr.
func makeSysroot(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"boot/loader.1/entries", "boot/ostree/os-abc", "ostree/repo/objects/aa", "ostree/deploy/os/deploy/c.0/usr/lib/modules/6.1", "ostree/deploy/os/deploy/c.0/etc"} {
		must(os.MkdirAll(filepath.Join(d, p), 0o755))
	}
	must(os.WriteFile(filepath.Join(d, "ostree/repo/objects/aa/bb.file"), []byte("object content"), 0o644))
	must(os.Link(filepath.Join(d, "ostree/repo/objects/aa/bb.file"), filepath.Join(d, "ostree/deploy/os/deploy/c.0/usr/lib/modules/6.1/vmlinuz")))
	must(os.Link(filepath.Join(d, "ostree/repo/objects/aa/bb.file"), filepath.Join(d, "boot/ostree/os-abc/vmlinuz-6.1")))
	must(os.WriteFile(filepath.Join(d, "boot/loader.1/entries/ostree-1-os.conf"), []byte("title x\noptions root=LABEL=root\n"), 0o644))
	must(os.Symlink("loader.1", filepath.Join(d, "boot/loader")))
	must(os.WriteFile(filepath.Join(d, "ostree/deploy/os/deploy/c.0/etc/shadow"), []byte("root:*:1::::::\n"), 0o640))
	must(os.Chmod(filepath.Join(d, "ostree/deploy/os/deploy/c.0/etc"), 0o751))
	// user.* xattrs work unprivileged on most filesystems; skip the check where not.
	if err := unix.Lsetxattr(filepath.Join(d, "ostree/deploy/os/deploy/c.0/etc/shadow"), "user.altcos", []byte("v"), 0); err != nil {
		t.Logf("no user xattrs here: %v", err)
	}
	return d
}

func packToBytes(t *testing.T, dir string) ([]byte, Sizes) {
	t.Helper()
	var buf bytes.Buffer
	sz, err := Pack(context.Background(), &buf, dir, time.Time{})
	if err != nil {
		t.Fatalf("Pack(%s) = %v", dir, err)
	}
	return buf.Bytes(), sz
}

func TestPackUnpackRoundTrip(t *testing.T) {
	src := makeSysroot(t)
	b, sz := packToBytes(t, src)
	if sz.RootBytes <= 0 || sz.BootBytes <= 0 {
		t.Errorf("Pack sizes = %+v, want both positive", sz)
	}
	dst := t.TempDir()
	root, boot := filepath.Join(dst, "root"), filepath.Join(dst, "boot")
	os.Mkdir(root, 0o755)
	os.Mkdir(boot, 0o755)
	if err := Unpack(context.Background(), bytes.NewReader(b), Dest{Root: root, Boot: boot}); err != nil {
		t.Fatalf("Unpack = %v", err)
	}
	// Boot content on the boot side; an empty mount point on the root side.
	if _, err := os.Stat(filepath.Join(boot, "loader.1/entries/ostree-1-os.conf")); err != nil {
		t.Errorf("boot entry not on boot side: %v", err)
	}
	if ents, err := os.ReadDir(filepath.Join(root, "boot")); err != nil || len(ents) != 0 {
		t.Errorf("root/boot = %v, %v; want an empty directory", ents, err)
	}
	if l, err := os.Readlink(filepath.Join(boot, "loader")); err != nil || l != "loader.1" {
		t.Errorf("Readlink(boot/loader) = %q, %v; want loader.1", l, err)
	}
	// The repo object and the deployment file stay one inode; the kernel in
	// boot is a separate copy with the same content.
	ino := func(p string) uint64 {
		t.Helper()
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Sys().(*syscall.Stat_t).Ino
	}
	obj := filepath.Join(root, "ostree/repo/objects/aa/bb.file")
	dep := filepath.Join(root, "ostree/deploy/os/deploy/c.0/usr/lib/modules/6.1/vmlinuz")
	if ino(obj) != ino(dep) {
		t.Errorf("repo object and deployment file are not hardlinked")
	}
	if c, _ := os.ReadFile(filepath.Join(boot, "ostree/os-abc/vmlinuz-6.1")); string(c) != "object content" {
		t.Errorf("boot kernel = %q, want the object content", c)
	}
	fi, err := os.Stat(filepath.Join(root, "ostree/deploy/os/deploy/c.0/etc"))
	if err != nil || fi.Mode().Perm() != 0o751 {
		t.Errorf("etc mode = %v, %v; want 0751", fi.Mode(), err)
	}
	fi, err = os.Stat(filepath.Join(root, "ostree/deploy/os/deploy/c.0/etc/shadow"))
	if err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("shadow mode = %v, %v; want 0640", fi.Mode(), err)
	}
	want, _ := getXattr(filepath.Join(src, "ostree/deploy/os/deploy/c.0/etc/shadow"), "user.altcos")
	if want != nil {
		got, err := getXattr(filepath.Join(root, "ostree/deploy/os/deploy/c.0/etc/shadow"), "user.altcos")
		if err != nil || string(got) != "v" {
			t.Errorf("xattr user.altcos = %q, %v; want v", got, err)
		}
	}
}

func TestPackIsReproducible(t *testing.T) {
	src := makeSysroot(t)
	epoch := time.Unix(1700000000, 0)
	var a, b bytes.Buffer
	if _, err := Pack(context.Background(), &a, src, epoch); err != nil {
		t.Fatal(err)
	}
	if _, err := Pack(context.Background(), &b, src, epoch); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Errorf("Pack twice with SOURCE_DATE_EPOCH gave different bytes")
	}
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestVerifier(t *testing.T) {
	data := []byte(strings.Repeat("altcos", 1000))
	tests := []struct {
		name string
		in   []byte
		size int64
		sum  string
		want error
	}{
		{"ok", data, int64(len(data)), sum(data), nil},
		{"mismatch", append([]byte("X"), data[1:]...), int64(len(data)), sum(data), ErrChecksum},
		{"truncated", data[:100], int64(len(data)), sum(data), ErrTruncated},
		{"too long", append(data, 'x'), int64(len(data)), sum(data), ErrTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := io.Copy(io.Discard, NewVerifier(bytes.NewReader(tt.in), tt.size, tt.sum))
			if !errors.Is(err, tt.want) {
				t.Errorf("read through Verifier = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestBadInputDeployArchive: deploy archive streams, each row a bad one and
// the refusal it gets; an archive refused at its first entry leaves both
// destinations empty (Unpack writes nothing before it refuses an entry).
func TestBadInputDeployArchive(t *testing.T) {
	src := makeSysroot(t)
	good, _ := packToBytes(t, src)
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		// Rows whose first entry is refused leave the target empty: see emptyAfter.
		{"truncated", good[:len(good)/2], "truncated"},
		{"garbage", []byte("this is not zstd at all, not even a little"), "magic"},
		{"dotdot", tarOf(&tar.Header{Name: "root/../../etc/passwd", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1}), "unsafe path"},
		{"absolute", tarOf(&tar.Header{Name: "root//etc/passwd", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1}), "unsafe path"},
		{"no prefix", tarOf(&tar.Header{Name: "etc/passwd", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1}), "neither under"},
		{"no parent", tarOf(&tar.Header{Name: "root/etc/passwd", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1}), "before its directory"},
		{"through symlink", tarOf(
			&tar.Header{Name: "root/esc", Typeflag: tar.TypeSymlink, Linkname: "/tmp"},
			&tar.Header{Name: "root/esc/x", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1}), "before its directory"},
		{"cross link", tarOf(
			&tar.Header{Name: "root/a", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1},
			&tar.Header{Name: "boot/a", Typeflag: tar.TypeLink, Linkname: "root/a"}), "crosses partitions"},
		{"empty", tarOf(), "no entries"},
		// 10 KiB of PAX sparse tar (GNU tar --sparse) that would expand to 1 GiB of zeros.
		{"sparse", zst(t, "testdata/sparse-pax.tar"), `archive entry "root/f" is a sparse file (1073741824 bytes); Pack writes none`},
		{"duplicate file", tarOf(
			&tar.Header{Name: "root/a", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1},
			&tar.Header{Name: "root/a", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1}), `archive entry "root/a" names a path already unpacked; an archive made by Pack names each path once`},
		{"duplicate symlink", tarOf(
			&tar.Header{Name: "root/a", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1},
			&tar.Header{Name: "root/a", Typeflag: tar.TypeSymlink, Linkname: "b"}), `archive entry "root/a" names a path already unpacked`},
		{"duplicate hardlink", tarOf(
			&tar.Header{Name: "root/a", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1},
			&tar.Header{Name: "root/b", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1},
			&tar.Header{Name: "root/b", Typeflag: tar.TypeLink, Linkname: "root/a"}), `archive entry "root/b" names a path already unpacked`},
		// An ostree sysroot holds no device nodes or fifos (ostree cannot commit them).
		{"char device", tarOf(&tar.Header{Name: "root/null", Typeflag: tar.TypeChar, Mode: 0o666, Devmajor: 1, Devminor: 3}), `archive entry "root/null" is a character device; an ostree sysroot holds no device nodes or fifos`},
		{"block device", tarOf(&tar.Header{Name: "root/sda", Typeflag: tar.TypeBlock, Mode: 0o660, Devmajor: 8}), `"root/sda" is a block device`},
		{"fifo", tarOf(&tar.Header{Name: "boot/p", Typeflag: tar.TypeFifo, Mode: 0o600}), `"boot/p" is a fifo`},
		// Set-user/group-ID files belong to the OS tree (the repo's objects and a deployment's /usr) only.
		{"setuid in root", tarOf(&tar.Header{Name: "root/su", Typeflag: tar.TypeReg, Mode: 0o4755, Size: 1}), `archive entry "root/su" is set-user-ID or set-group-ID outside the OS tree`},
		{"setgid in boot", tarOf(&tar.Header{Name: "boot/x", Typeflag: tar.TypeReg, Mode: 0o2755, Size: 1}), `"boot/x" is set-user-ID or set-group-ID outside the OS tree`},
		{"setuid in the deployment's etc", tarOf(
			&tar.Header{Name: "root/ostree/", Typeflag: tar.TypeDir, Mode: 0o755},
			&tar.Header{Name: "root/ostree/deploy/", Typeflag: tar.TypeDir, Mode: 0o755},
			&tar.Header{Name: "root/ostree/deploy/os/", Typeflag: tar.TypeDir, Mode: 0o755},
			&tar.Header{Name: "root/ostree/deploy/os/deploy/", Typeflag: tar.TypeDir, Mode: 0o755},
			&tar.Header{Name: "root/ostree/deploy/os/deploy/c.0/", Typeflag: tar.TypeDir, Mode: 0o755},
			&tar.Header{Name: "root/ostree/deploy/os/deploy/c.0/etc/", Typeflag: tar.TypeDir, Mode: 0o755},
			&tar.Header{Name: "root/ostree/deploy/os/deploy/c.0/etc/su", Typeflag: tar.TypeReg, Mode: 0o4755, Size: 1}), "set-user-ID or set-group-ID outside the OS tree"},
		{"setgid dir in root", tarOf(&tar.Header{Name: "root/d/", Typeflag: tar.TypeDir, Mode: 0o2775}), `"root/d/" is set-user-ID or set-group-ID outside the OS tree`},
		// File capabilities are privilege too (arping has cap_net_raw in /usr/bin).
		{"capability in root", tarOf(&tar.Header{Name: "root/sh", Typeflag: tar.TypeReg, Mode: 0o755, Size: 1, Format: tar.FormatPAX,
			PAXRecords: map[string]string{"SCHILY.xattr.security.capability": "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"}}),
			`archive entry "root/sh" has file capabilities (security.capability) outside the OS tree`},
		{"hardlink to an object with capabilities", tarOf(
			&tar.Header{Name: "root/ostree/", Typeflag: tar.TypeDir, Mode: 0o755},
			&tar.Header{Name: "root/ostree/repo/", Typeflag: tar.TypeDir, Mode: 0o755},
			&tar.Header{Name: "root/ostree/repo/objects/", Typeflag: tar.TypeDir, Mode: 0o755},
			&tar.Header{Name: "root/ostree/repo/objects/aa/", Typeflag: tar.TypeDir, Mode: 0o755},
			&tar.Header{Name: "root/ostree/repo/objects/aa/bb.file", Typeflag: tar.TypeReg, Mode: 0o755, Size: 1, Format: tar.FormatPAX,
				PAXRecords: map[string]string{"SCHILY.xattr.security.capability": "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"}},
			&tar.Header{Name: "root/arping", Typeflag: tar.TypeLink, Linkname: "root/ostree/repo/objects/aa/bb.file"}), `archive entry "root/arping" links to a file with capabilities outside the OS tree`},
		{"hardlink to a setuid object", tarOf(
			&tar.Header{Name: "root/ostree/", Typeflag: tar.TypeDir, Mode: 0o755},
			&tar.Header{Name: "root/ostree/repo/", Typeflag: tar.TypeDir, Mode: 0o755},
			&tar.Header{Name: "root/ostree/repo/objects/", Typeflag: tar.TypeDir, Mode: 0o755},
			&tar.Header{Name: "root/ostree/repo/objects/aa/", Typeflag: tar.TypeDir, Mode: 0o755},
			&tar.Header{Name: "root/ostree/repo/objects/aa/bb.file", Typeflag: tar.TypeReg, Mode: 0o4755, Size: 1},
			&tar.Header{Name: "root/su", Typeflag: tar.TypeLink, Linkname: "root/ostree/repo/objects/aa/bb.file"}), `archive entry "root/su" links to a set-user-ID or set-group-ID file outside the OS tree`},
	}
	emptyAfter := map[string]bool{"garbage": true, "sparse": true, "dotdot": true, "absolute": true, "no prefix": true, "no parent": true, "empty": true,
		"char device": true, "block device": true, "fifo": true, "setuid in root": true, "setgid in boot": true, "setgid dir in root": true, "capability in root": true}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := t.TempDir()
			os.Mkdir(filepath.Join(dst, "r"), 0o755)
			os.Mkdir(filepath.Join(dst, "b"), 0o755)
			err := Unpack(context.Background(), bytes.NewReader(tt.in), Dest{Root: filepath.Join(dst, "r"), Boot: filepath.Join(dst, "b")})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Unpack(%s) = %v, want an error containing %q", tt.name, err, tt.want)
			}
			ents, _ := os.ReadDir(dst)
			if len(ents) != 2 {
				t.Errorf("Unpack(%s) wrote next to its destinations: %v", tt.name, ents)
			}
			if emptyAfter[tt.name] {
				for _, d := range []string{"r", "b"} {
					if e, _ := os.ReadDir(filepath.Join(dst, d)); len(e) != 0 {
						t.Errorf("Unpack(%s) refused its first entry but wrote %v into %s", tt.name, e, d)
					}
				}
			}
		})
	}
}

// zst reads a test file and compresses it as Pack does.
func zst(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	enc, _ := zstd.NewWriter(nil)
	return enc.EncodeAll(b, nil)
}

// TestUnpackKeepsOSSetID: the OS tree's own set-ID files (sudo, in the
// repo's objects and a deployment's /usr, hardlinked) and sticky
// directories unpack with their modes.
func TestUnpackKeepsOSSetID(t *testing.T) {
	src := makeSysroot(t)
	obj := filepath.Join(src, "ostree/repo/objects/aa/cc.file")
	if err := os.WriteFile(obj, []byte("sudo"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(obj, 0o755|os.ModeSetuid)
	os.MkdirAll(filepath.Join(src, "ostree/deploy/os/deploy/c.0/usr/bin"), 0o755)
	if err := os.Link(obj, filepath.Join(src, "ostree/deploy/os/deploy/c.0/usr/bin/sudo")); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(src, "ostree/deploy/os/deploy/c.0/tmp"), 0o755)
	os.Chmod(filepath.Join(src, "ostree/deploy/os/deploy/c.0/tmp"), 0o777|os.ModeSticky)
	data, _ := packToBytes(t, src)
	dst := t.TempDir()
	boot := filepath.Join(dst, "boot")
	if err := Unpack(context.Background(), bytes.NewReader(data), Dest{Root: dst, Boot: boot}); err != nil {
		t.Fatalf("Unpack(sysroot with sudo) = %v", err)
	}
	for p, want := range map[string]os.FileMode{
		"ostree/deploy/os/deploy/c.0/usr/bin/sudo": 0o755 | os.ModeSetuid,
		"ostree/repo/objects/aa/cc.file":           0o755 | os.ModeSetuid,
		"ostree/deploy/os/deploy/c.0/tmp":          0o777 | os.ModeSticky | os.ModeDir,
	} {
		if fi, err := os.Lstat(filepath.Join(dst, p)); err != nil || fi.Mode() != want {
			t.Errorf("after Unpack %s: %v, %v, want mode %v", p, fi.Mode(), err, want)
		}
	}
}

// TestUnpackMountPoints: an entry naming the top of a partition is
// refused, and Pack's root/boot entry (the boot mount point) makes the
// directory known without re-chmodding or chowning the mounted boot
// filesystem's top.
func TestUnpackMountPoints(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   []byte
		want string // "" means accepted
	}{
		{"boot/.", tarOf(&tar.Header{Name: "boot/.", Typeflag: tar.TypeDir, Mode: 0o777, Uid: 1234}), `archive entry "boot/." names the top of its partition`},
		{"boot/./", tarOf(&tar.Header{Name: "boot/./", Typeflag: tar.TypeDir, Mode: 0o777}), "names the top of its partition"},
		{"root/.", tarOf(&tar.Header{Name: "root/.", Typeflag: tar.TypeDir, Mode: 0o777}), "names the top of its partition"},
		{"root/boot as a file", tarOf(&tar.Header{Name: "root/boot", Typeflag: tar.TypeReg, Mode: 0o644}), `archive entry "root/boot" is the boot partition's mount point`},
		{"root/boot/ mode 0777", tarOf(&tar.Header{Name: "root/boot/", Typeflag: tar.TypeDir, Mode: 0o777, Uid: 1234}, &tar.Header{Name: "boot/x", Typeflag: tar.TypeReg, Mode: 0o644}), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dst := t.TempDir()
			boot := filepath.Join(dst, "boot")
			os.Mkdir(boot, 0o755)
			err := Unpack(context.Background(), bytes.NewReader(tt.in), Dest{Root: dst, Boot: boot})
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("Unpack(%s) = %v, want error containing %q", tt.name, err, tt.want)
			}
			for _, d := range []string{dst, boot} {
				fi, err := os.Stat(d)
				if err != nil || fi.Mode().Perm() != 0o755 && d == boot || fi.Sys().(*syscall.Stat_t).Uid != uint32(os.Geteuid()) {
					t.Errorf("after Unpack(%s) %s has mode %v, owner %d; want the mount point untouched", tt.name, d, fi.Mode(), fi.Sys().(*syscall.Stat_t).Uid)
				}
			}
		})
	}
}

func TestUnpackReportsChecksumAtEnd(t *testing.T) {
	src := makeSysroot(t)
	good, _ := packToBytes(t, src)
	dst := t.TempDir()
	v := NewVerifier(bytes.NewReader(good), int64(len(good)), strings.Repeat("0", 64))
	os.Mkdir(dst+"/boot-part", 0o755)
	err := Unpack(context.Background(), v, Dest{Root: dst, Boot: dst + "/boot-part"})
	if !errors.Is(err, ErrChecksum) {
		t.Fatalf("Unpack with a wrong sha256 = %v, want ErrChecksum", err)
	}
}

// TestBadInputManifest: deploy archive manifests, each row a bad one and
// the refusal it gets.
func TestBadInputManifest(t *testing.T) {
	good := Manifest{Format: 1, OSName: "alt-containeros", Arch: "x86_64", Stream: "sisyphus", Ref: "altcos/x86_64/sisyphus",
		Commit: strings.Repeat("a", 64), Archive: FileInfo{Name: ArchiveName, Size: 10, SHA256: strings.Repeat("b", 64)},
		RootBytes: 1, BootBytes: 1}
	if _, err := ParseManifest(good.Marshal()); err != nil {
		t.Errorf("ParseManifest(good) = %v, want nil", err)
	}
	for _, tc := range []struct {
		name string
		edit func(m *Manifest)
		want string
	}{
		{"bad sha256", func(m *Manifest) { m.Archive.SHA256 = "xyz" }, `archive sha256 "xyz" is not 64 lower-case hex digits`},
		{"upper-case sha256", func(m *Manifest) { m.Archive.SHA256 = strings.Repeat("B", 64) }, "is not 64 lower-case hex digits"},
		{"format 2", func(m *Manifest) { m.Format = 2 }, "format 2 is not 1; use an installer of the same release as the archive"},
		{"no commit", func(m *Manifest) { m.Commit = "" }, "osname, arch, stream, ref and commit must all be set"},
		{"no size", func(m *Manifest) { m.Archive.Size = 0 }, "archive name and size must be set"},
		{"negative size", func(m *Manifest) { m.Archive.Size = -1 }, "archive name and size must be set"},
		{"no root bytes", func(m *Manifest) { m.RootBytes = 0 }, "root_bytes and boot_bytes must be positive"},
	} {
		m := good
		tc.edit(&m)
		if _, err := ParseManifest(m.Marshal()); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseManifest(%s) = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	for in, want := range map[string]string{"": "not a manifest", "[]": "not a manifest", `{"format":"1"}`: "not a manifest"} {
		if _, err := ParseManifest([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseManifest(%q) = %v, want an error containing %q", in, err, want)
		}
	}
	if err := good.CheckArch("aarch64"); err == nil || !strings.Contains(err.Error(), "deploy archive is for x86_64, this machine is aarch64") {
		t.Errorf("CheckArch(aarch64) = %v, want an error naming both architectures", err)
	}
}

// tarOf is a zstd-compressed tar stream of hdrs, each regular entry filled
// with Size bytes 'a': the hand-made archives of the bad-input tests.
func tarOf(hdrs ...*tar.Header) []byte {
	var buf bytes.Buffer
	zw, _ := zstd.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, h := range hdrs {
		tw.WriteHeader(h)
		if h.Size > 0 {
			tw.Write(bytes.Repeat([]byte{'a'}, int(h.Size)))
		}
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}
