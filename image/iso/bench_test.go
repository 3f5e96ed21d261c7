package iso

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem/iso9660"
	"github.com/u-root/mkuimage/cpio"

	"github.com/altcos/altcos-tools/bootmenu"
	"github.com/altcos/altcos-tools/initramfs/live"
	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
)

// BenchmarkBootToHints measures, under QEMU TCG, the time from kernel start
// to the live system's hints: the live ISO's own kernel and initramfs, with
// the ISO as CD-ROM (modules loaded, medium found and mounted), against the
// same kernel with a bare busybox initramfs that only prints a marker. Both
// markers go to /dev/kmsg, so the console shows them with the kernel's
// timestamp: seconds since the kernel started, whatever the firmware took.
//
// Tier 2: ALTCOS_BENCH_BOOT_ISO=path/to/live.iso (make bench-initramfs).
func BenchmarkBootToHints(b *testing.B) {
	iso := os.Getenv("ALTCOS_BENCH_BOOT_ISO")
	if iso == "" {
		b.Skip("set ALTCOS_BENCH_BOOT_ISO to a live ISO (make bench-initramfs)")
	}
	tooltest.Tools(b, "qemu-system-x86_64", "busybox")
	dir := b.TempDir()
	kernel, initrd := filepath.Join(dir, "vmlinuz"), filepath.Join(dir, "initramfs.img")
	if err := extractFromISO(iso, map[string]string{bootmenu.KernelPath: kernel, bootmenu.InitramfsPath: initrd}); err != nil {
		b.Fatal(err)
	}
	label, err := live.ISOLabel(iso)
	if err != nil {
		b.Fatal(err)
	}
	bb := filepath.Join(dir, "busybox.cpio")
	if err := writeBusyboxInitramfs(bb); err != nil {
		b.Fatal(err)
	}
	var liveSum, bbSum float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t, err := bootToMarker(b, kernel, bb, "console=ttyS0,115200n8", nil, "BUSYBOX READY")
		if err != nil {
			b.Fatalf("busybox boot: %v", err)
		}
		bbSum += t
		t, err = bootToMarker(b, kernel, initrd, "console=ttyS0,115200n8 "+bootmenu.LabelArg+"="+label, []string{"-cdrom", iso}, live.ReadyMarker)
		if err != nil {
			b.Fatalf("live boot: %v", err)
		}
		liveSum += t
	}
	n := float64(b.N)
	st, _ := os.Stat(initrd)
	b.ReportMetric(bbSum/n, "busybox-s")
	b.ReportMetric(liveSum/n, "live-s")
	b.ReportMetric(liveSum/bbSum, "live/busybox")
	b.ReportMetric(float64(st.Size())/(1<<20), "initramfs-MiB")
}

var kmsgStamp = regexp.MustCompile(`\[\s*(\d+\.\d+)\]`)

// bootToMarker boots QEMU until a console line with marker and a kernel
// timestamp appears, and returns that timestamp.
func bootToMarker(b *testing.B, kernel, initrd, cmdline string, extra []string, marker string) (float64, error) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	pr, pw := io.Pipe()
	argv := append([]string{"qemu-system-x86_64", "-machine", "pc", "-accel", "tcg", "-m", "2048", "-smp", "1",
		"-nographic", "-no-reboot", "-kernel", kernel, "-initrd", initrd, "-append", cmdline}, extra...)
	done := make(chan error, 1)
	go func() {
		err := run.Run(ctx, nil, run.Cmd{Argv: argv, Stdout: pw, Stdin: strings.NewReader("")})
		pw.CloseWithError(io.EOF)
		done <- err
	}()
	found := -1.0
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, marker) {
			continue
		}
		if m := kmsgStamp.FindStringSubmatch(line); m != nil {
			found, _ = strconv.ParseFloat(m[1], 64)
			break
		}
	}
	cancel()
	go io.Copy(io.Discard, pr)
	err := <-done
	if found < 0 {
		return 0, err
	}
	return found, nil
}

// writeBusyboxInitramfs writes a cpio whose /init prints a marker to the
// kernel log and powers off.
func writeBusyboxInitramfs(out string) error {
	bbPath, err := findBusybox()
	if err != nil {
		return err
	}
	bin, err := os.Open(bbPath)
	if err != nil {
		return err
	}
	defer bin.Close()
	st, err := bin.Stat()
	if err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	w := cpio.Newc.Writer(f)
	init := "#!/bin/busybox sh\n/bin/busybox mount -t devtmpfs dev /dev\n" +
		"/bin/busybox echo 'busybox: BUSYBOX READY' > /dev/kmsg\n/bin/busybox poweroff -f\n"
	recs := []cpio.Record{
		cpio.Directory("bin", 0o755), cpio.Directory("dev", 0o755), cpio.Directory("proc", 0o755),
		{ReaderAt: bin, Info: cpio.Info{Name: "bin/busybox", Mode: cpio.S_IFREG | 0o755, FileSize: uint64(st.Size()), NLink: 1}},
		cpio.StaticFile("init", init, 0o755),
	}
	for _, r := range recs {
		if err := w.WriteRecord(r); err != nil {
			return err
		}
	}
	return cpio.WriteTrailer(w)
}

func findBusybox() (string, error) {
	for _, p := range []string{"/bin/busybox", "/usr/bin/busybox"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", os.ErrNotExist
}

// extractFromISO copies ISO paths to host files with go-diskfs.
func extractFromISO(iso string, files map[string]string) error {
	bk, err := file.OpenFromPath(iso, true)
	if err != nil {
		return err
	}
	defer bk.Close()
	st, err := os.Stat(iso)
	if err != nil {
		return err
	}
	fsys, err := iso9660.Read(bk, st.Size(), 0, 2048)
	if err != nil {
		return err
	}
	for src, dst := range files {
		in, err := fsys.OpenFile(src, os.O_RDONLY)
		if err != nil {
			return err
		}
		out, err := os.Create(dst)
		if err != nil {
			return err
		}
		_, err = io.Copy(out, in)
		in.Close()
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}
