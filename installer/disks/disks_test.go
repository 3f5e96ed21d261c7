package disks

import (
	"reflect"
	"strings"
	"testing"
)

func TestListPC(t *testing.T) {
	devs, err := List("testdata/pc", Options{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range devs {
		names = append(names, d.Name)
	}
	// md0 and vg0-data have slaves: they are children, not top level; empty
	// loop0 and the RAM disk are hidden as lsblk hides them.
	want := []string{"loop1", "nvme0n1", "sda", "sdb", "sdc", "sdd", "sde", "sdf", "sr0", "vda", "vdb", "vdc"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("List(pc) names = %v, want %v", names, want)
	}
	for _, tc := range []struct {
		name      string
		typ, tran string
		size      int64
		reasons   []string // substrings, one per reason, in order
		fs, label string
	}{
		{"nvme0n1", "disk", "nvme", 512e9, nil, "", ""},
		{"vda", "disk", "virtio", 20 << 30, nil, "", ""},
		{"sda", "disk", "sata", 1000e9, []string{"sda1 is mounted at /, /var/lib/bind mount", "sda2 is in use as swap; run swapoff /dev/sda2"}, "", ""},
		{"sdb", "disk", "usb", 32 << 30, nil, "vfat", "STICK"},
		{"sdc", "disk", "sata", 100 << 30, []string{"held by LVM volume vg0-data", "vg0-data is mounted at /srv"}, "", ""},
		{"sdd", "disk", "sata", 200 << 30, []string{"held by RAID array md0"}, "", ""},
		{"sr0", "rom", "sata", 1 << 30, []string{"the medium the live system booted from", "mounted at /run/altcos/medium", "a CD/DVD drive", "read-only", "smaller than the 8G minimum"}, "iso9660", "ALTCOS-sisyphus-x86_64"},
		{"sdf", "disk", "usb", 16 << 30, []string{"the medium the live system booted from"}, "iso9660", "ALTCOS_LIVE"},
		{"vdb", "disk", "virtio", 4 << 30, []string{"4G is smaller than the 8G minimum; choose a larger disk"}, "", ""},
		{"vdc", "disk", "virtio", 64 << 30, []string{"read-only"}, "", ""},
		{"loop1", "loop", "", 10 << 30, nil, "", ""},
	} {
		d := Find(devs, tc.name)
		if d == nil {
			t.Errorf("Find(%s) = nil", tc.name)
			continue
		}
		if d.Type != tc.typ || d.Transport != tc.tran || d.Size != tc.size || d.FSType != tc.fs || d.Label != tc.label {
			t.Errorf("%s = type %s tran %s size %d fs %s label %q, want %s %s %d %s %q", tc.name, d.Type, d.Transport, d.Size, d.FSType, d.Label, tc.typ, tc.tran, tc.size, tc.fs, tc.label)
		}
		if len(d.Reasons) != len(tc.reasons) {
			t.Errorf("%s reasons = %q, want %d like %q", tc.name, d.Reasons, len(tc.reasons), tc.reasons)
			continue
		}
		for i, r := range tc.reasons {
			if !strings.Contains(d.Reasons[i], r) {
				t.Errorf("%s reason %d = %q, want containing %q", tc.name, i, d.Reasons[i], r)
			}
		}
	}
	// Details lsblk shows.
	n := Find(devs, "nvme0n1")
	if n.Model != "Samsung SSD 980 500GB" || n.Serial != "S64DNF0R123456" || n.LogSec != 512 || n.PhySec != 4096 || n.Rotational {
		t.Errorf("nvme0n1 = %+v, want model, serial, 512/4096 sectors, not rotational", n)
	}
	if s := Find(devs, "sda"); !s.Rotational || s.Model != "WDC WD10EZEX-00B" {
		t.Errorf("sda rotational %v model %q, want true, WDC", s.Rotational, s.Model)
	}
	if s := Find(devs, "sdc"); s.Serial != "2045E4A1B2C3" {
		t.Errorf("sdc serial (from VPD page 0x80) = %q, want 2045E4A1B2C3", s.Serial)
	}
	if s := Find(devs, "sdb"); !s.Removable {
		t.Errorf("sdb removable = false, want true")
	}
	if v := Find(devs, "vda"); v.Serial != "VIRTIO-SERIAL-1" || len(v.Children) != 2 || v.Children[0].Label != "old-boot" || v.Children[1].FSType != "xfs" || v.Children[1].Label != "old-root" {
		t.Errorf("vda = serial %q children %+v, want serial and ext4 old-boot, xfs old-root partitions", v.Serial, v.Children)
	}
	if s := Find(devs, "sda2"); s == nil || s.FSType != "swap" || s.Label != "swap0" || !s.Swap {
		t.Errorf("sda2 = %+v, want a swap partition labelled swap0 in use", s)
	}
	dm := Find(devs, "/dev/mapper/vg0-data")
	if dm == nil || dm.Type != "lvm" || dm.KName != "dm-0" || dm.Label != "data" {
		t.Errorf("Find(/dev/mapper/vg0-data) = %+v, want the lvm volume dm-0", dm)
	}
	if md := Find(devs, "md0"); md == nil || md.Type != "raid1" {
		t.Errorf("Find(md0) = %+v, want raid1", md)
	}
	if sr := Find(devs, "sr0"); !sr.Live {
		t.Errorf("sr0 Live = false, want true")
	}
}

func TestListAll(t *testing.T) {
	devs, err := List("testdata/pc", Options{All: true, MinBytes: 1 << 40})
	if err != nil {
		t.Fatal(err)
	}
	if Find(devs, "ram0") == nil || Find(devs, "loop0") == nil {
		t.Errorf("List(All) lacks ram0 or loop0")
	}
	if n := Find(devs, "nvme0n1"); len(n.Reasons) != 1 || !strings.Contains(n.Reasons[0], "smaller than the 1T minimum") {
		t.Errorf("nvme0n1 reasons with 1 TiB minimum = %q, want too small", n.Reasons)
	}
}

func TestListNoSys(t *testing.T) {
	if _, err := List(t.TempDir(), Options{}); err == nil {
		t.Errorf("List(empty dir) error nil, want an error")
	}
}

func TestHumanSize(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{{0, "0B"}, {1023, "1023B"}, {1024, "1K"}, {8 << 30, "8G"}, {512e9, "476.8G"}, {1536, "1.5K"}} {
		if got := HumanSize(tc.n); got != tc.want {
			t.Errorf("HumanSize(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestUnescape(t *testing.T) {
	for in, want := range map[string]string{`/a\040b`: "/a b", `/x\`: `/x\`, `\134`: `\`, `/p\04`: `/p\04`} {
		if got := unescape(in); got != want {
			t.Errorf("unescape(%q) = %q, want %q", in, got, want)
		}
	}
}
