package installer

// Tier 1: kept partitions survive an install and a failed install, byte
// for byte, seen from outside (sfdisk, sha256 of the range, the raw GPT entry).

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/deployarchive"
	layout "github.com/altcos/altcos-tools/installer/partition"
	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/internal/testkit/archivetest"
	"github.com/altcos/altcos-tools/internal/testkit/sfdisktest"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
)

// Where the test puts its data partition: number 5, the last GiB but one MiB.
const (
	dataStart = 7 << 30
	dataSize  = 1<<30 - 2<<20
)

// imageWithData makes a sparse 8 GiB image whose GPT (written by sfdisk)
// holds partition 5 "data", an ext4 filesystem (mkfs.ext4 -d) with a file.
func imageWithData(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	img := sparseImage(t, 8<<30)
	script := fmt.Sprintf("label: gpt\n%s5 : start=%d, size=%d, type=%s, name=data\n", img, dataStart/512, dataSize/512, layout.TypeLinux)
	if err := run.Run(ctx, nil, run.Cmd{Argv: []string{"sfdisk", "--quiet", img}, Stdin: strings.NewReader(script)}); err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "keep-me.txt"), []byte("datacenter data\n"), 0o644)
	fs := filepath.Join(t.TempDir(), "data.ext4")
	if err := run.Run(ctx, nil, run.Cmd{Argv: []string{"mkfs.ext4", "-q", "-L", "data", "-d", src, fs, fmt.Sprint(dataSize / 1024)}}); err != nil {
		t.Fatal(err)
	}
	if err := run.Run(ctx, nil, run.Cmd{Argv: []string{"dd", "if=" + fs, "of=" + img, "bs=1M", fmt.Sprintf("seek=%d", dataStart>>20), "conv=notrunc,sparse", "status=none"}}); err != nil {
		t.Fatal(err)
	}
	return img
}

// rangeSum is the sha256 of bytes [off, off+n) of file.
func rangeSum(t *testing.T, file string, off, n int64) string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, off, n)); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// gptEntry reads the raw 128-byte entry n of the primary GPT of a
// 512-byte-sector image, found from the header as a firmware would.
func gptEntry(t *testing.T, file string, n int) []byte {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	hdr := make([]byte, 92)
	f.ReadAt(hdr, 512)
	if string(hdr[:8]) != "EFI PART" {
		t.Fatalf("%s: no GPT header at LBA 1", file)
	}
	lba, size := binary.LittleEndian.Uint64(hdr[72:]), binary.LittleEndian.Uint32(hdr[84:])
	e := make([]byte, size)
	f.ReadAt(e, int64(lba)*512+int64(n-1)*int64(size))
	return e
}

// dataKept fails t unless the data partition's contents (sha256 sum) and
// its GPT entry are what they were before what happened.
func dataKept(t *testing.T, img, sum string, entry []byte, what string) {
	t.Helper()
	if got := rangeSum(t, img, dataStart, dataSize); got != sum {
		t.Errorf("data partition sha256 = %s after %s, want %s (unchanged)", got, what, sum)
	}
	if got := gptEntry(t, img, 5); string(got) != string(entry) {
		t.Errorf("GPT entry 5 = %x after %s, want %x (unchanged)", got, what, entry)
	}
}

func TestInstallKeepsPartition(t *testing.T) {
	tooltest.Root(t)
	tooltest.Tools(t, append(installTools, "dd", "debugfs")...)
	archiveDir, _ := archivetest.Build(t, "")
	archive := filepath.Join(archiveDir, deployarchive.ArchiveName)

	t.Run("install", func(t *testing.T) {
		img := imageWithData(t)
		sum, entry := rangeSum(t, img, dataStart, dataSize), gptEntry(t, img, 5)
		var msgs []string
		rep := &recordingReporter{onInfo: func(m string) { msgs = append(msgs, m) }}
		err := Run(context.Background(), &Plan{Device: img, ImageMode: true, ImageFile: archive, Yes: true, NoReboot: true, SavePartLabel: []string{"data"}}, Env{Progress: rep})
		if err != nil {
			t.Fatalf("Run(--save-partlabel data) = %v", err)
		}
		noLoopsLeft(t, img)
		dataKept(t, img, sum, entry, "the install")
		tab, ok := sfdisktest.Read(t, img)
		if !ok || len(tab.Partitions) != 5 {
			t.Fatalf("sfdisk --json = %+v, want the 4 layout partitions and data", tab)
		}
		root, data := tab.Partitions[3], tab.Partitions[4]
		if root.Name != "root" || (root.Start+root.Size)*512 != dataStart || data.Name != "data" || data.Start*512 != dataStart {
			t.Errorf("sfdisk: root %+v, data %+v; want root to end where data starts", root, data)
		}
		if want := `keep partition 5 "data" (7168-8190 MiB): label "data" matches save-partlabel data`; !contains(msgs, want) {
			t.Errorf("messages %q lack %q", msgs, want)
		}
		// The filesystem inside is intact: e2fsck, and the file read by debugfs.
		data5 := filepath.Join(t.TempDir(), "data5.img")
		ctx := context.Background()
		if err := run.Run(ctx, nil, run.Cmd{Argv: []string{"dd", "if=" + img, "of=" + data5, "bs=1M", fmt.Sprintf("skip=%d", dataStart>>20), fmt.Sprintf("count=%d", dataSize>>20), "conv=sparse", "status=none"}}); err != nil {
			t.Fatal(err)
		}
		if err := run.Run(ctx, nil, run.Cmd{Argv: []string{"e2fsck", "-fn", data5}}); err != nil {
			t.Errorf("e2fsck -fn data: %v", err)
		}
		if out, err := run.Output(ctx, nil, run.Cmd{Argv: []string{"debugfs", "-R", "cat /keep-me.txt", data5}}); err != nil || string(out) != "datacenter data\n" {
			t.Errorf("debugfs cat /keep-me.txt = %q, %v; want the file as written", out, err)
		}
	})

	t.Run("failure after partitioning", func(t *testing.T) {
		img := imageWithData(t)
		sum, entry := rangeSum(t, img, dataStart, dataSize), gptEntry(t, img, 5)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		rep := &recordingReporter{onB: func(int64) { cancel() }}
		err := Run(ctx, &Plan{Device: img, ImageMode: true, ImageFile: archive, Yes: true, SavePartIndex: []string{"5-"}}, Env{Progress: rep})
		var se *StepError
		if !errors.As(err, &se) || se.Step != "deploy" || !errors.Is(err, context.Canceled) {
			t.Fatalf("Run cancelled mid-stream = %v, want a deploy StepError", err)
		}
		noLoopsLeft(t, img)
		dataKept(t, img, sum, entry, "the failure")
		tab, ok := sfdisktest.Read(t, img)
		if !ok || len(tab.Partitions) != 1 || tab.Partitions[0].Name != "data" {
			t.Errorf("sfdisk after the failure = %+v, want a GPT with the data partition alone", tab)
		}
		// The layout's partitions were wiped: no ext4 where root began.
		if got := rangeSum(t, img, 513<<20, 1<<20); got != rangeSum(t, sparseImage(t, 1<<20), 0, 1<<20) {
			t.Errorf("the start of root is not zeroed after the failure")
		}
	})

	t.Run("overlap refused before writing", func(t *testing.T) {
		img := imageWithData(t)
		// Keep data, and pretend a second kept partition sits where boot goes.
		script := fmt.Sprintf("%s6 : start=%d, size=%d, type=%s, name=old-boot\n", img, (300<<20)/512, (100<<20)/512, layout.TypeLinux)
		if err := run.Run(context.Background(), nil, run.Cmd{Argv: []string{"sfdisk", "--quiet", "--append", img}, Stdin: strings.NewReader(script)}); err != nil {
			t.Fatal(err)
		}
		before := rangeSum(t, img, 0, 8<<30)
		err := Run(context.Background(), &Plan{Device: img, ImageMode: true, ImageFile: archive, Yes: true, SavePartLabel: []string{"data", "old-*"}}, Env{})
		var te *TargetError
		want := `kept partition 6 "old-boot" (300-400 MiB) overlaps boot (partition 3, 129-513 MiB)`
		if !errors.As(err, &te) || !strings.Contains(err.Error(), want) {
			t.Fatalf("Run = %v, want a TargetError containing %q", err, want)
		}
		if got := rangeSum(t, img, 0, 8<<30); got != before {
			t.Errorf("the refused install changed the image")
		}
		noLoopsLeft(t, img)
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
