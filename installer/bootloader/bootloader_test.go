package bootloader

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
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
	out, err := PatchCore(core, 2048)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 61*512 {
		t.Errorf("PatchCore length = %d, want %d (whole sectors)", len(out), 61*512)
	}
	bl := out[500:512]
	if s, n, seg := binary.LittleEndian.Uint64(bl), binary.LittleEndian.Uint16(bl[8:]), binary.LittleEndian.Uint16(bl[10:]); s != 2049 || n != 60 || seg != 0x820 {
		t.Errorf("blocklist = start %d len %d segment %#x, want 2049 60 0x820", s, n, seg)
	}
	if out[499] != 0xcc || out[512] != 0xcc || core[500] != 0xcc {
		t.Errorf("PatchCore changed bytes outside the blocklist, or its input")
	}
	if _, err := PatchCore(make([]byte, 512), 2048); err == nil {
		t.Errorf("PatchCore(one sector) = nil error, want one")
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
	got := MtoolsArgs("/dev/loop0p2", map[string]string{"/EFI/BOOT/BOOTX64.EFI": "/w/a", "/EFI/BOOT/grub.cfg": "/w/b"})
	want := [][]string{
		{"mmd", "-i", "/dev/loop0p2", "::/EFI"},
		{"mmd", "-i", "/dev/loop0p2", "::/EFI/BOOT"},
		{"mcopy", "-i", "/dev/loop0p2", "-o", "/w/a", "::/EFI/BOOT/BOOTX64.EFI"},
		{"mcopy", "-i", "/dev/loop0p2", "-o", "/w/b", "::/EFI/BOOT/grub.cfg"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("MtoolsArgs = %q, want %q", got, want)
	}
}

func TestEmbeddedConfig(t *testing.T) {
	got := EmbeddedConfig("1234-abcd")
	want := "search --no-floppy --fs-uuid --set=root 1234-abcd\nset prefix=($root)/grub\n"
	if got != want {
		t.Errorf("EmbeddedConfig = %q, want %q", got, want)
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
