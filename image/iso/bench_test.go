package iso

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
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
// The live boot's "boot medium" line (the medium found and mounted, after
// the hints) is timed too. b.N boots each (make bench-initramfs: 10); it
// prints min and median.
//
// Tier 2: ALTCOS_BENCH_BOOT_ISO=path/to/live.iso (make bench-initramfs).
// ALTCOS_BENCH_INITRD_COMPRESSIONS=none,gzip,lz4,xz also boots the live
// initramfs recompressed each way (same cpio), b.N times each.
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
	variants := []bootVariant{{name: "zstd (as built)", initrd: initrd}}
	for _, c := range strings.FieldsFunc(os.Getenv("ALTCOS_BENCH_INITRD_COMPRESSIONS"), func(r rune) bool { return r == ',' }) {
		v, err := recompress(b, initrd, c, dir)
		if err != nil {
			b.Fatal(err)
		}
		variants = append(variants, v)
	}
	liveArgs := "console=ttyS0,115200n8 " + bootmenu.LabelArg + "=" + label
	var bbT []float64
	hintsT, mediumT := make([][]float64, len(variants)), make([][]float64, len(variants))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t, err := bootToMarkers(b, kernel, bb, "console=ttyS0,115200n8", nil, "BUSYBOX READY")
		if err != nil {
			b.Fatalf("busybox boot: %v", err)
		}
		bbT = append(bbT, t[0])
		for j, v := range variants {
			t, err = bootToMarkers(b, kernel, v.initrd, liveArgs, []string{"-cdrom", iso}, live.ReadyMarker, "altcos-live: boot medium:")
			if err != nil {
				b.Fatalf("live boot (%s): %v", v.name, err)
			}
			hintsT[j], mediumT[j] = append(hintsT[j], t[0]), append(mediumT[j], t[1])
		}
	}
	b.StopTimer()
	bMin, bMed := minMedian(bbT)
	if b.N == 1 {
		return // go test's first round before -benchtime Nx: no figures to print
	}
	fmt.Printf("bench-initramfs: %d boots each, QEMU TCG, kernel start -> marker (kernel timestamps), min / median\n", b.N)
	fmt.Printf("  busybox initramfs %7.2f / %5.2f s\n", bMin, bMed)
	for j, v := range variants {
		hMin, hMed := minMedian(hintsT[j])
		mMin, mMed := minMedian(mediumT[j])
		fmt.Printf("  live, %-15s %5.2f / %5.2f s to the hints, live/busybox %.2fx min, %.2fx MEDIAN (goal <= 1.5x); %5.2f / %5.2f s to the medium line; initramfs %.1f MiB\n",
			v.name, hMin, hMed, hMin/bMin, hMed/bMed, mMin, mMed, float64(fileSize(v.initrd))/(1<<20))
	}
	_, hMed := minMedian(hintsT[0])
	b.ReportMetric(bMed, "busybox-s")
	b.ReportMetric(hMed, "live-s")
	b.ReportMetric(hMed/bMed, "live/busybox")
	b.ReportMetric(float64(fileSize(initrd))/(1<<20), "initramfs-MiB")
}

// bootVariant is a live initramfs to boot.
type bootVariant struct{ name, initrd string }

// recompress writes the live initramfs (zstd) as an uncompressed cpio
// ("none") or compressed with the tool c (gzip, lz4 in the kernel's legacy
// format, xz with the CRC32 check the kernel's decoder wants).
func recompress(b *testing.B, initrd, c, dir string) (bootVariant, error) {
	argv := map[string][]string{
		"none": {"cat"},
		"gzip": {"gzip", "-9", "-c"},
		"lz4":  {"lz4", "-l", "-9", "-c"},
		"xz":   {"xz", "--check=crc32", "-T1", "-c"},
	}[c]
	if argv == nil {
		return bootVariant{}, fmt.Errorf("compression %q: want none, gzip, lz4 or xz", c)
	}
	tooltest.Tools(b, "zstd", argv[0])
	out := filepath.Join(dir, "initramfs-"+c+".img")
	f, err := os.Create(out)
	if err != nil {
		return bootVariant{}, err
	}
	defer f.Close()
	cmd := fmt.Sprintf("zstd -dc %q | %s", initrd, strings.Join(argv, " "))
	if err := run.Run(context.Background(), nil, run.Cmd{Argv: []string{"sh", "-c", cmd}, Stdout: f}); err != nil {
		return bootVariant{}, err
	}
	return bootVariant{name: c, initrd: out}, f.Close()
}

func fileSize(p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return st.Size()
}

// minMedian returns the smallest and the median of xs (not empty).
func minMedian(xs []float64) (float64, float64) {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[0], s[len(s)/2]
}

var kmsgStamp = regexp.MustCompile(`\[\s*(\d+\.\d+)\]`)

// bootToMarkers boots QEMU until a console line with each marker (in any
// order) and a kernel timestamp has appeared, and returns the timestamps.
func bootToMarkers(b *testing.B, kernel, initrd, cmdline string, extra []string, markers ...string) ([]float64, error) {
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
	found := make([]float64, len(markers))
	left := len(markers)
	sc := bufio.NewScanner(pr)
	for left > 0 && sc.Scan() {
		line := sc.Text()
		for i, marker := range markers {
			if found[i] > 0 || !strings.Contains(line, marker) {
				continue
			}
			if m := kmsgStamp.FindStringSubmatch(line); m != nil {
				found[i], _ = strconv.ParseFloat(m[1], 64)
				left--
			}
		}
	}
	cancel()
	go io.Copy(io.Discard, pr)
	err := <-done
	if left > 0 {
		if err == nil {
			err = fmt.Errorf("QEMU ended before the console showed all of %q", markers)
		}
		return nil, err
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
