package disks

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/internal/testkit/lsblktest"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
)

func ourRows(devs []*Device) map[string]lsblktest.Row {
	rows := map[string]lsblktest.Row{}
	var walk func([]*Device)
	walk = func(ds []*Device) {
		for _, d := range ds {
			m := d.Mounts
			if d.Swap {
				m = append(m[:len(m):len(m)], "[SWAP]")
			}
			rows[d.Name] = lsblktest.NewRow(d.Size, d.Type, d.ReadOnly, m)
			walk(d.Children)
		}
	}
	walk(devs)
	return rows
}

// TestAgreesWithLsblk compares List("/") with lsblk -b -J on this machine.
func TestAgreesWithLsblk(t *testing.T) {
	tooltest.Tools(t, "lsblk")
	before := lsblktest.Rows(t)
	devs, err := List("/", Options{})
	if err != nil {
		t.Fatal(err)
	}
	lsblktest.Agree(t, "List(/)", before, lsblktest.Rows(t), ourRows(devs))
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
	want := lsblktest.Rows(t)[filepath.Base(loop)]
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
