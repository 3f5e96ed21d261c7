package disks

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
)

// row is what is compared with lsblk: name, size, type, read-only, mount points.
type row struct {
	Size   int64
	Type   string
	RO     bool
	Mounts string
}

type lsblkDev struct {
	Name        string     `json:"name"`
	Size        int64      `json:"size"`
	Type        string     `json:"type"`
	RO          bool       `json:"ro"`
	Mountpoints []*string  `json:"mountpoints"`
	Children    []lsblkDev `json:"children"`
}

func lsblkRows(t *testing.T) map[string]row {
	t.Helper()
	out, err := run.Output(context.Background(), nil, run.Cmd{Argv: []string{"lsblk", "-b", "-J", "-o", "NAME,SIZE,TYPE,RO,MOUNTPOINTS"}})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Blockdevices []lsblkDev `json:"blockdevices"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("lsblk JSON: %v", err)
	}
	rows := map[string]row{}
	var walk func([]lsblkDev)
	walk = func(ds []lsblkDev) {
		for _, d := range ds {
			var m []string
			for _, p := range d.Mountpoints {
				if p != nil {
					m = append(m, *p)
				}
			}
			sort.Strings(m)
			rows[d.Name] = row{d.Size, d.Type, d.RO, fmt.Sprint(m)}
			walk(d.Children)
		}
	}
	walk(doc.Blockdevices)
	return rows
}

func ourRows(devs []*Device) map[string]row {
	rows := map[string]row{}
	var walk func([]*Device)
	walk = func(ds []*Device) {
		for _, d := range ds {
			m := append([]string(nil), d.Mounts...)
			if d.Swap {
				m = append(m, "[SWAP]")
			}
			sort.Strings(m)
			rows[d.Name] = row{d.Size, d.Type, d.ReadOnly, fmt.Sprint(m)}
			walk(d.Children)
		}
	}
	walk(devs)
	return rows
}

// TestAgreesWithLsblk compares List("/") with lsblk -b -J on this machine.
// Loop devices of other tests may come and go meanwhile: only devices that
// lsblk showed the same before and after List are compared, and every one of
// them must match.
func TestAgreesWithLsblk(t *testing.T) {
	tooltest.Tools(t, "lsblk")
	before := lsblkRows(t)
	devs, err := List("/", Options{})
	if err != nil {
		t.Fatal(err)
	}
	after := lsblkRows(t)
	ours := ourRows(devs)
	compared := 0
	for name, want := range before {
		if a, ok := after[name]; !ok || a != want {
			continue // changed while we looked
		}
		compared++
		got, ok := ours[name]
		if !ok {
			t.Errorf("List(/) lacks %s, lsblk shows %+v", name, want)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("List(/) %s = %+v, lsblk says %+v", name, got, want)
		}
	}
	for name := range ours {
		_, b := before[name]
		_, a := after[name]
		if !b && !a && !strings.HasPrefix(name, "loop") { // loop devices of parallel tests come and go
			t.Errorf("List(/) shows %s, lsblk does not", name)
		}
	}
	if compared == 0 {
		t.Fatalf("lsblk showed no stable device to compare")
	}
	t.Logf("%d devices agree with lsblk", compared)
}

// TestAgreesWithLsblkLoop attaches a loop device with a mounted ext4 on it so
// that the comparison covers a loop disk, a mount point and a filesystem label.
func TestAgreesWithLsblkLoop(t *testing.T) {
	tooltest.Root(t)
	tooltest.Tools(t, "lsblk", "losetup", "mkfs.ext4", "mount", "umount")
	ctx := context.Background()
	dir := t.TempDir()
	img := filepath.Join(dir, "disk.img")
	if err := os.WriteFile(img, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, 64<<20); err != nil {
		t.Fatal(err)
	}
	if err := run.Run(ctx, nil, run.Cmd{Argv: []string{"mkfs.ext4", "-q", "-L", "lsblktest", img}}); err != nil {
		t.Fatal(err)
	}
	out, err := run.Output(ctx, nil, run.Cmd{Argv: []string{"losetup", "-f", "--show", img}})
	if err != nil {
		t.Fatal(err)
	}
	loop := strings.TrimSpace(string(out))
	t.Cleanup(func() { run.Run(ctx, nil, run.Cmd{Argv: []string{"losetup", "-d", loop}}) })
	mnt := filepath.Join(dir, "mnt")
	os.Mkdir(mnt, 0o755)
	if err := run.Run(ctx, nil, run.Cmd{Argv: []string{"mount", loop, mnt}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { run.Run(ctx, nil, run.Cmd{Argv: []string{"umount", mnt}}) })

	devs, err := List("/", Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := lsblkRows(t)[filepath.Base(loop)]
	d := Find(devs, loop)
	if d == nil {
		t.Fatalf("Find(%s) = nil", loop)
	}
	got := ourRows([]*Device{d})[d.Name]
	if got != want {
		t.Errorf("List(/) %s = %+v, lsblk says %+v", loop, got, want)
	}
	if d.FSType != "ext4" || d.Label != "lsblktest" || len(d.Reasons) == 0 || !strings.Contains(d.Reasons[0], "mounted at "+mnt) {
		t.Errorf("%s = fs %s label %q reasons %q, want ext4 lsblktest, mounted", loop, d.FSType, d.Label, d.Reasons)
	}
}
