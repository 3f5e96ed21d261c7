package partition

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/altcos/altcos-tools/internal/testkit/sfdisktest"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/partition/gpt"
)

const gib = 1 << 30

func TestLayout(t *testing.T) {
	for _, ss := range []int{512, 4096} {
		parts, err := Layout(8*gib, ss)
		if err != nil {
			t.Fatalf("Layout(8 GiB, %d) = %v", ss, err)
		}
		want := []Part{
			{1, "BIOS-BOOT", TypeBIOSBoot, 1 * MiB, 1 * MiB, ""},
			{2, "EFI-SYSTEM", TypeESP, 2 * MiB, 127 * MiB, "vfat"},
			{3, "boot", TypeLinux, 129 * MiB, 384 * MiB, "ext4"},
			{4, "root", TypeLinux, 513 * MiB, 8*gib - 1*MiB - 513*MiB, "ext4"},
		}
		if !reflect.DeepEqual(parts, want) {
			t.Errorf("Layout(8 GiB, %d) = %+v, want %+v", ss, parts, want)
		}
	}
	if _, err := Layout(900*MiB, 512); err == nil || !strings.Contains(err.Error(), "too small") {
		t.Errorf("Layout(900 MiB) = %v, want a too-small error", err)
	}
	if _, err := Layout(8*gib, 1024); err == nil {
		t.Errorf("Layout(sector 1024) = nil error, want one")
	}
}

func TestPath(t *testing.T) {
	for _, tt := range []struct{ disk, want string }{
		{"/dev/sda", "/dev/sda3"}, {"/dev/loop0", "/dev/loop0p3"}, {"/dev/nvme0n1", "/dev/nvme0n1p3"}, {"/dev/vdb", "/dev/vdb3"},
	} {
		if got := Path(tt.disk, 3); got != tt.want {
			t.Errorf("Path(%s, 3) = %s, want %s", tt.disk, got, tt.want)
		}
	}
}

// TestWriteReadBack writes the table into sparse files with both sector
// sizes and reads it back with go-diskfs.
func TestWriteReadBack(t *testing.T) {
	for _, ss := range []int{512, 4096} {
		p := filepath.Join(t.TempDir(), "disk.img")
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := f.Truncate(8 * gib); err != nil {
			t.Fatal(err)
		}
		parts, _ := Layout(8*gib, ss)
		if err := Write(f, 8*gib, ss, parts); err != nil {
			t.Fatalf("Write(%d) = %v", ss, err)
		}
		tab, err := gpt.Read(file.New(f, true), ss, ss)
		if err != nil {
			t.Fatalf("gpt.Read(%d) = %v", ss, err)
		}
		if len(tab.Partitions) < 4 {
			t.Fatalf("read back %d partitions, want 4", len(tab.Partitions))
		}
		for i, want := range parts {
			got := tab.Partitions[i]
			if got.Name != want.Name || int64(got.Start)*int64(ss) != want.Start || int64(got.End+1)*int64(ss) != want.End() ||
				!strings.EqualFold(string(got.Type), want.Type) {
				t.Errorf("sector %d: partition %d = %+v, want %+v", ss, i+1, got, want)
			}
		}
		mbr := make([]byte, 512)
		f.ReadAt(mbr, 0)
		if mbr[510] != 0x55 || mbr[511] != 0xAA || mbr[446+4] != 0xEE {
			t.Errorf("sector %d: no protective MBR (signature % x, type %#x)", ss, mbr[510:512], mbr[446+4])
		}
	}
}

// faultyDisk is a fake disk: an in-memory map of written ranges that fails
// every write after the first failAfter bytes.
type faultyDisk struct {
	writes    map[int64]int
	written   int
	failAfter int
}

var errDiskGone = errors.New("disk vanished")

func (d *faultyDisk) WriteAt(p []byte, off int64) (int, error) {
	if d.failAfter >= 0 && d.written+len(p) > d.failAfter {
		return 0, errDiskGone
	}
	d.written += len(p)
	if d.writes == nil {
		d.writes = map[int64]int{}
	}
	d.writes[off] = len(p)
	return len(p), nil
}

func TestWipe(t *testing.T) {
	parts, _ := Layout(8*gib, 512)
	d := &faultyDisk{failAfter: -1}
	if err := Wipe(d, 8*gib, parts); err != nil {
		t.Fatalf("Wipe = %v", err)
	}
	want := map[int64]int{0: MiB, 8*gib - MiB: MiB, 1 * MiB: MiB, 2 * MiB: MiB, 129 * MiB: MiB, 513 * MiB: MiB}
	if !reflect.DeepEqual(d.writes, want) {
		t.Errorf("Wipe wrote %v, want %v", d.writes, want)
	}
	// A disk that fails mid-wipe: every place is still tried, errors joined.
	d = &faultyDisk{failAfter: 2 * MiB}
	err := Wipe(d, 8*gib, parts)
	if !errors.Is(err, errDiskGone) || len(d.writes) != 2 {
		t.Errorf("Wipe on a failing disk = %v after %d writes, want errDiskGone after 2 writes", err, len(d.writes))
	}
}

// memDisk adapts faultyDisk to what go-diskfs wants for Write.
type memDisk struct {
	*os.File
	fail *faultyDisk
}

func (m memDisk) WriteAt(p []byte, off int64) (int, error) {
	if _, err := m.fail.WriteAt(p, off); err != nil {
		return 0, err
	}
	return m.File.WriteAt(p, off)
}

func TestWriteFailingDisk(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "disk.img"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Truncate(8 * gib)
	parts, _ := Layout(8*gib, 512)
	err = Write(memDisk{f, &faultyDisk{failAfter: 1000}}, 8*gib, 512, parts)
	if !errors.Is(err, errDiskGone) && (err == nil || !strings.Contains(err.Error(), errDiskGone.Error())) {
		t.Errorf("Write on a disk that fails = %v, want it to report %v", err, errDiskGone)
	}
}

// TestLoopDevice writes the table to loop devices with 512 and 4096-byte
// sectors, adds the partitions with BLKPG, checks the nodes and sfdisk's
// reading, then wipes and checks that sfdisk finds no table.
func TestLoopDevice(t *testing.T) {
	tooltest.Root(t)
	tooltest.Tools(t, "losetup", "sfdisk")
	ctx := context.Background()
	for _, ss := range []int{512, 4096} {
		img := filepath.Join(t.TempDir(), "disk.img")
		if err := os.WriteFile(img, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		os.Truncate(img, 8*gib)
		dev, err := AttachLoop(ctx, nil, img, ss)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { DetachLoop(context.Background(), nil, dev) })
		f, err := os.OpenFile(dev, os.O_RDWR|os.O_EXCL, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		size, gotSS, err := DeviceSize(f)
		if err != nil || size != 8*gib || gotSS != ss {
			t.Fatalf("DeviceSize(%s) = %d, %d, %v; want %d, %d", dev, size, gotSS, err, int64(8*gib), ss)
		}
		parts, _ := Layout(size, ss)
		if err := Write(f, size, ss, parts); err != nil {
			t.Fatal(err)
		}
		if err := AddToKernel(f, parts, ss); err != nil {
			t.Fatal(err)
		}
		var nodes []string
		for _, p := range parts {
			nodes = append(nodes, Path(dev, p.Number))
		}
		if err := WaitNodes(ctx, nodes, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		sf, ok := sfdisktest.Read(t, dev)
		if !ok || sf.Label != "gpt" || sf.SectorSize != ss || len(sf.Partitions) != 4 {
			t.Fatalf("sfdisk --json %s = %+v (found %v), want a GPT of %d-byte sectors with 4 partitions", dev, sf, ok, ss)
		}
		for i, p := range sf.Partitions {
			w := parts[i]
			if p.Name != w.Name || p.Start*int64(ss) != w.Start || p.Size*int64(ss) != w.Size || !strings.EqualFold(p.Type, w.Type) {
				t.Errorf("sector %d: sfdisk partition %d = %+v, want %+v", ss, i+1, p, w)
			}
		}
		if err := RemoveFromKernel(f, parts); err != nil {
			t.Error(err)
		}
		if err := Wipe(f, size, parts); err != nil {
			t.Fatal(err)
		}
		if sf, ok := sfdisktest.Read(t, dev); ok {
			t.Errorf("after Wipe, sfdisk --json %s = %+v, want no partition table", dev, sf)
		}
	}
}
