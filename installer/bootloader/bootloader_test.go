package bootloader

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
)

var update = flag.Bool("update", false, "rewrite golden files")

func fakeBootImg() []byte {
	b := make([]byte, 512)
	for i := range b {
		b[i] = byte(i)
	}
	b[510], b[511] = 0x55, 0xaa
	return b
}

func TestMBRCode(t *testing.T) {
	code, err := MBRCode(fakeBootImg(), 2048)
	if err != nil {
		t.Fatal(err)
	}
	if len(code) != 440 {
		t.Fatalf("MBRCode length = %d, want 440", len(code))
	}
	if got := binary.LittleEndian.Uint64(code[0x5c:]); got != 2048 {
		t.Errorf("kernel sector = %d, want 2048", got)
	}
	if code[0x66] != 0x90 || code[0x67] != 0x90 {
		t.Errorf("drive check = % x, want 90 90", code[0x66:0x68])
	}
	if code[0] != 0 || code[0x5b] != 0x5b || code[0x68] != 0x68 {
		t.Errorf("MBRCode changed bytes outside the patched fields")
	}
	bad := fakeBootImg()
	bad[511] = 0
	if _, err := MBRCode(bad, 2048); err == nil {
		t.Errorf("MBRCode(no signature) = nil error, want one")
	}
	if _, err := MBRCode(make([]byte, 100), 2048); err == nil {
		t.Errorf("MBRCode(100 bytes) = nil error, want one")
	}
}

func TestPatchCore(t *testing.T) {
	core := bytes.Repeat([]byte{0xcc}, 512*60+100) // 61 sectors
	out, err := patchCore(core, 2048)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 61*512 {
		t.Errorf("patchCore length = %d, want %d (whole sectors)", len(out), 61*512)
	}
	bl := out[500:512]
	if s, n, seg := binary.LittleEndian.Uint64(bl), binary.LittleEndian.Uint16(bl[8:]), binary.LittleEndian.Uint16(bl[10:]); s != 2049 || n != 60 || seg != 0x820 {
		t.Errorf("blocklist = start %d len %d segment %#x, want 2049 60 0x820", s, n, seg)
	}
	if out[499] != 0xcc || out[512] != 0xcc || core[500] != 0xcc {
		t.Errorf("patchCore changed bytes outside the blocklist, or its input")
	}
	if _, err := patchCore(make([]byte, 512), 2048); err == nil {
		t.Errorf("patchCore(one sector) = nil error, want one")
	}
}

// disk is a fake whole disk with fault injection.
type disk struct {
	data    []byte
	failAt  int // fail the n-th write (1-based); 0 never
	nwrites int
}

var errIO = errors.New("input/output error")

func (d *disk) WriteAt(p []byte, off int64) (int, error) {
	d.nwrites++
	if d.failAt == d.nwrites {
		return 0, errIO
	}
	if need := int(off) + len(p); need > len(d.data) {
		return 0, errors.New("write past the end of the disk")
	}
	copy(d.data[off:], p)
	return len(p), nil
}

func TestWriteBIOS(t *testing.T) {
	d := &disk{data: make([]byte, 3<<20)}
	// A protective MBR's partition table and signature must survive.
	copy(d.data[440:], []byte{1, 2, 3, 4, 0, 0})
	d.data[446+4] = 0xee
	d.data[510], d.data[511] = 0x55, 0xaa
	core := bytes.Repeat([]byte{0xcc}, 512*40)
	if err := WriteBIOS(d, fakeBootImg(), core, 1<<20, 1<<20); err != nil {
		t.Fatal(err)
	}
	if binary.LittleEndian.Uint64(d.data[0x5c:]) != 2048 || d.data[446+4] != 0xee || d.data[440] != 1 || d.data[510] != 0x55 {
		t.Errorf("MBR after WriteBIOS: kernel sector %d, partition type %#x, disk signature %d, boot signature %#x",
			binary.LittleEndian.Uint64(d.data[0x5c:]), d.data[446+4], d.data[440], d.data[510])
	}
	if binary.LittleEndian.Uint64(d.data[1<<20+500:]) != 2049 || d.data[1<<20+512] != 0xcc {
		t.Errorf("core image not at BIOS-BOOT with its blocklist")
	}
	// Faults: the core write fails, then the MBR write fails.
	for _, n := range []int{1, 2} {
		d := &disk{data: make([]byte, 3<<20), failAt: n}
		if err := WriteBIOS(d, fakeBootImg(), core, 1<<20, 1<<20); !errors.Is(err, errIO) {
			t.Errorf("WriteBIOS with write %d failing = %v, want %v", n, err, errIO)
		}
	}
	if err := WriteBIOS(&disk{data: make([]byte, 3<<20)}, fakeBootImg(), make([]byte, 2<<20), 1<<20, 1<<20); err == nil {
		t.Errorf("WriteBIOS(core larger than BIOS-BOOT) = nil error, want one")
	}
}

func TestSerialFromConsole(t *testing.T) {
	tests := []struct {
		in   []string
		want *Serial
	}{
		{nil, nil},
		{[]string{"tty0"}, nil},
		{[]string{"ttyS0,115200n8"}, &Serial{0, 115200}},
		{[]string{"console=tty0", "console=ttyS1,9600"}, &Serial{1, 9600}},
		{[]string{"ttyS2"}, &Serial{2, 115200}},
	}
	for _, tt := range tests {
		if got := SerialFromConsole(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SerialFromConsole(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestMenuGolden(t *testing.T) {
	got := Menu(MenuOptions{Timeout: 1, Serial: &Serial{0, 115200}})
	golden := filepath.Join("testdata", "grub.cfg")
	if *update {
		os.WriteFile(golden, []byte(got), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("Menu() = \n%s\nwant (testdata/grub.cfg)\n%s", got, want)
	}
	for _, s := range []string{"if [ -e ($root)/ignition.firstboot ]", "set ignition_firstboot=ignition.firstboot", "source ($root)/loader/grub.cfg"} {
		if !strings.Contains(got, s) {
			t.Errorf("Menu() lacks %q", s)
		}
	}
}

func TestMtoolsArgs(t *testing.T) {
	got := mtoolsArgs("/dev/loop0p2", map[string]string{"/EFI/BOOT/BOOTX64.EFI": "/w/a", "/EFI/BOOT/grub.cfg": "/w/b"})
	want := [][]string{
		{"mmd", "-i", "/dev/loop0p2", "::/EFI"},
		{"mmd", "-i", "/dev/loop0p2", "::/EFI/BOOT"},
		{"mcopy", "-i", "/dev/loop0p2", "-o", "/w/a", "::/EFI/BOOT/BOOTX64.EFI"},
		{"mcopy", "-i", "/dev/loop0p2", "-o", "/w/b", "::/EFI/BOOT/grub.cfg"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("mtoolsArgs = %q, want %q", got, want)
	}
}

func TestEmbeddedConfig(t *testing.T) {
	got := embeddedConfig("1234-abcd")
	want := "search --no-floppy --fs-uuid --set=root 1234-abcd\nset prefix=($root)/grub\n"
	if got != want {
		t.Errorf("embeddedConfig = %q, want %q", got, want)
	}
}

// TestMkImageAndESP makes both GRUB images from this host's modules with
// the real grub-mkimage and writes the EFI one into a FAT made by mkfs.vfat,
// checked with fsck.vfat and mtools.
func TestMkImageAndESP(t *testing.T) {
	tooltest.Tools(t, "grub-mkimage", "mkfs.vfat", "fsck.vfat", "mmd", "mcopy", "mtype")
	ctx := context.Background()
	dir := t.TempDir()
	for _, p := range []Platform{BIOS, UEFI} {
		img, err := MkImage(ctx, nil, "/usr/lib/grub", p, "0000-test", dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(img) < 20000 {
			t.Errorf("MkImage(%s) = %d bytes, want a real image", p.Name, len(img))
		}
		if p.Name == UEFI.Name {
			if !bytes.HasPrefix(img, []byte("MZ")) {
				t.Errorf("MkImage(x86_64-efi) does not start with MZ")
			}
			esp := filepath.Join(dir, "esp.img")
			os.WriteFile(esp, nil, 0o644)
			os.Truncate(esp, 127<<20)
			if err := run.Run(ctx, nil, run.Cmd{Argv: []string{"mkfs.vfat", "-F", "32", "-n", "EFI-SYSTEM", esp}}); err != nil {
				t.Fatal(err)
			}
			if err := WriteESP(ctx, nil, esp, dir, map[string][]byte{RemovablePath: img}); err != nil {
				t.Fatal(err)
			}
			if err := run.Run(ctx, nil, run.Cmd{Argv: []string{"fsck.vfat", "-n", esp}}); err != nil {
				t.Errorf("fsck.vfat -n after WriteESP: %v", err)
			}
			out, err := run.Output(ctx, nil, run.Cmd{Argv: []string{"mtype", "-i", esp, "::/EFI/BOOT/BOOTX64.EFI"}})
			if err != nil || !bytes.Equal(out, img) {
				t.Errorf("mtype ::/EFI/BOOT/BOOTX64.EFI = %d bytes, %v; want the %d-byte image", len(out), err, len(img))
			}
		}
	}
	if _, err := MkImage(ctx, nil, filepath.Join(dir, "nogrub"), BIOS, "x", dir); err == nil || !strings.Contains(err.Error(), "no GRUB modules") {
		t.Errorf("MkImage(tree without GRUB) = %v, want a no-GRUB-modules error", err)
	}
}

// fakeTree is an OS tree with the host's GRUB platforms and, when signed,
// stand-ins for Debian's signed shim, MokManager and GRUB (distinct bytes,
// so a test sees which file went where).
func fakeTree(t *testing.T, signed bool) string {
	t.Helper()
	tree := t.TempDir()
	grub := filepath.Join(tree, "usr/lib/grub")
	if err := os.MkdirAll(grub, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []Platform{BIOS, UEFI} {
		if err := os.Symlink(filepath.Join("/usr/lib/grub", p.Name), filepath.Join(grub, p.Name)); err != nil {
			t.Fatal(err)
		}
	}
	if signed {
		for _, f := range []string{TreeShim, TreeMokManager, TreeSignedGRUB} {
			p := filepath.Join(tree, f)
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte("MZ stand-in for "+f), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return tree
}

// TestInstallESP runs Install on a fake disk and a FAT made by mkfs.vfat
// and reads the ESP back with mtools: a tree with the Secure Boot chain
// gets shim, the signed GRUB and MokManager byte for byte at the paths shim
// and the signed GRUB look, and the config at the signed GRUB's prefix; a
// tree without it gets GRUB from grub-mkimage, and nothing else.
func TestInstallESP(t *testing.T) {
	tooltest.Tools(t, "grub-mkimage", "mkfs.vfat", "fsck.vfat", "mmd", "mcopy", "mtype")
	ctx := context.Background()
	mtype := func(esp, p string) ([]byte, error) {
		return run.Output(ctx, nil, run.Cmd{Argv: []string{"mtype", "-i", esp, "::" + p}, Env: []string{"MTOOLS_SKIP_CHECK=1"}})
	}
	for _, signed := range []bool{true, false} {
		t.Run(fmt.Sprintf("signed=%v", signed), func(t *testing.T) {
			tree, dir := fakeTree(t, signed), t.TempDir()
			esp := filepath.Join(dir, "esp.img")
			os.WriteFile(esp, nil, 0o644)
			os.Truncate(esp, 127<<20)
			if err := run.Run(ctx, nil, run.Cmd{Argv: []string{"mkfs.vfat", "-F", "32", "-n", "EFI-SYSTEM", esp}}); err != nil {
				t.Fatal(err)
			}
			boot := filepath.Join(dir, "boot")
			os.Mkdir(boot, 0o755)
			d := &disk{data: make([]byte, 3<<20)}
			o := Options{Tree: tree, BootDir: boot, BootUUID: "0000-test", Disk: d, BIOSBootStart: 1 << 20, BIOSBootSize: 1 << 20,
				ESP: esp, WorkDir: dir}
			if err := Install(ctx, o); err != nil {
				t.Fatalf("Install = %v", err)
			}
			if err := run.Run(ctx, nil, run.Cmd{Argv: []string{"fsck.vfat", "-n", esp}}); err != nil {
				t.Errorf("fsck.vfat -n after Install: %v", err)
			}
			if _, err := os.Stat(filepath.Join(boot, "grub/grub.cfg")); err != nil {
				t.Errorf("static menu: %v", err)
			}
			if binary.LittleEndian.Uint64(d.data[0x5c:]) != 2048 {
				t.Errorf("BIOS boot code not written")
			}
			if _, err := mtype(esp, "/EFI/BOOT/fbx64.efi"); err == nil {
				t.Errorf("ESP has EFI/BOOT/fbx64.efi, which would write NVRAM entries and reset the machine")
			}
			if !signed {
				efi, err := mtype(esp, RemovablePath)
				if err != nil || !bytes.HasPrefix(efi, []byte("MZ")) || len(efi) < 20000 {
					t.Errorf("mtype %s = %d bytes, %v; want GRUB made by grub-mkimage", RemovablePath, len(efi), err)
				}
				for _, p := range []string{ShimGRUBPath, SignedConfigPath} {
					if _, err := mtype(esp, p); err == nil {
						t.Errorf("ESP of a tree without the Secure Boot chain has %s", p)
					}
				}
				return
			}
			for p, f := range map[string]string{RemovablePath: TreeShim, ShimGRUBPath: TreeSignedGRUB, ShimMokManagerPath: TreeMokManager} {
				want, _ := os.ReadFile(filepath.Join(tree, f))
				if got, err := mtype(esp, p); err != nil || !bytes.Equal(got, want) {
					t.Errorf("mtype %s = %q, %v; want the tree's %s", p, got, err, f)
				}
			}
			cfg, err := mtype(esp, SignedConfigPath)
			if err != nil || string(cfg) != SignedConfig("0000-test") {
				t.Errorf("mtype %s = %q, %v; want %q", SignedConfigPath, cfg, err, SignedConfig("0000-test"))
			}
		})
	}
}

func TestSignedConfig(t *testing.T) {
	got := SignedConfig("1234-abcd")
	for _, want := range []string{"search --no-floppy --fs-uuid --set=root 1234-abcd\n", "set prefix=($root)/grub\n", "source $prefix/grub.cfg\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("SignedConfig = %q, want it to contain %q", got, want)
		}
	}
}

func TestFindSignedChain(t *testing.T) {
	tree := fakeTree(t, true)
	c, err := FindSignedChain(tree)
	if err != nil || !bytes.Contains(c.Shim, []byte("shimx64")) || !bytes.Contains(c.GRUB, []byte("grubx64")) || !bytes.Contains(c.MokManager, []byte("mmx64")) {
		t.Fatalf("FindSignedChain(signed tree) = %+v, %v", c, err)
	}
	os.Remove(filepath.Join(tree, TreeSignedGRUB))
	if _, err := FindSignedChain(tree); !errors.Is(err, ErrNoSignedChain) || !strings.Contains(err.Error(), TreeSignedGRUB) {
		t.Errorf("FindSignedChain(tree without signed GRUB) = %v, want ErrNoSignedChain naming %s", err, TreeSignedGRUB)
	}
	os.Remove(filepath.Join(tree, TreeShim))
	os.Mkdir(filepath.Join(tree, TreeShim), 0o755) // unreadable as a file
	if _, err := FindSignedChain(tree); err == nil || errors.Is(err, ErrNoSignedChain) {
		t.Errorf("FindSignedChain(shim is a folder) = %v, want a read error, not a fallback", err)
	}
}
