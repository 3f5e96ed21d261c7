package vmtests

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/installer/partition"
	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
)

// TestAddDataPartition: the host-side step of reinstall-keep-data on a small
// GPT image whose last partition fills it, as root fills an installed disk.
func TestAddDataPartition(t *testing.T) {
	tooltest.Tools(t, "sfdisk", "mkfs.ext4", "debugfs")
	ctx := context.Background()
	env := &Env{Out: t.TempDir()}
	img := filepath.Join(env.Out, "disk.img")
	if err := os.WriteFile(img, nil, 0o644); err != nil || os.Truncate(img, 64<<20) != nil {
		t.Fatal(err)
	}
	script := "label: gpt\nstart=2048, size=20480, name=boot\nstart=22528, name=root\n"
	if err := run.Run(ctx, nil, run.Cmd{Argv: []string{"sfdisk", "--quiet", img}, Stdin: strings.NewReader(script)}); err != nil {
		t.Fatal(err)
	}
	d, err := addDataPartition(ctx, env, img)
	if err != nil {
		t.Fatalf("addDataPartition = %v", err)
	}
	if fi, _ := os.Stat(img); fi.Size() != 64<<20+dataGrow {
		t.Errorf("the disk is %d bytes, want %d (grown by dataGrow)", fi.Size(), 64<<20+dataGrow)
	}
	if e := d.Entry; e.Number != 3 || e.Name != dataLabel || e.Start != 64<<20 || e.Size != dataSize || e.Type != partition.TypeLinux {
		t.Errorf("the data partition is %+v, want number 3 %q at 64 MiB, %d bytes, type Linux", e, dataLabel, dataSize)
	}
	// The file on its ext4 is the one whose sum was recorded.
	out, err := run.Output(ctx, nil, run.Cmd{Argv: []string{"debugfs", "-R", "cat /" + dataFile, fmt.Sprintf("%s?offset=%d", img, d.Entry.Start)}})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%x", sha256.Sum256(out)); len(out) != 4<<20 || got != d.FileSum {
		t.Errorf("%s on the partition: %d bytes, sha256 %s; want 4 MiB, %s", dataFile, len(out), got, d.FileSum)
	}
	// The partition's sum covers its bytes: one changed byte shows.
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte{1}, d.Entry.Start+d.Entry.Size-1)
	f.Close()
	if again, err := readDataPartition(img); err != nil || again.Entry != d.Entry || again.Sum == d.Sum {
		t.Errorf("readDataPartition after a change = %+v, %v; want the same entry, another sum", again, err)
	}
}

// TestTakeDisk: a disk left by one scenario goes on in one later scenario.
func TestTakeDisk(t *testing.T) {
	first, second := &Env{Out: t.TempDir(), installed: map[string]string{}}, &Env{Out: t.TempDir()}
	second.installed = first.installed // Run shares one map
	disk := filepath.Join(first.Out, "disk.img")
	os.WriteFile(disk, []byte("installed"), 0o644)
	if got, err := second.takeDisk("interactive", "disk.img"); got != "" || err != nil {
		t.Errorf("takeDisk before any was left = %q, %v; want none", got, err)
	}
	first.leaveDisk("interactive", disk)
	got, err := second.takeDisk("interactive", "disk.img")
	if b, _ := os.ReadFile(got); err != nil || got != filepath.Join(second.Out, "disk.img") || string(b) != "installed" {
		t.Errorf("takeDisk = %q (%q), %v; want the disk moved into the taker's folder", got, b, err)
	}
	if again, _ := second.takeDisk("interactive", "disk.img"); again != "" {
		t.Errorf("the disk was taken twice: %q", again)
	}
}
