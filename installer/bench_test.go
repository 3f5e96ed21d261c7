package installer

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/altcos/altcos-tools/deployarchive"
	layout "github.com/altcos/altcos-tools/installer/partition"
	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/internal/testkit/archivetest"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
)

// TestBenchInstall is `make bench-install`: benchRuns rounds of one install
// of a deploy archive into a sparse 8 GiB image, dd of the same number of
// bytes onto the same kind of target (a loop device over a sparse 8 GiB
// image file, as the installer's image mode writes), and the seed
// installer's shell sequence (testdata/seed-install.sh) on the same commit.
// Every figure includes its own sync (the installer's finish step syncs,
// dd runs with conv=fsync, the shell sequence ends with sync). It prints
// min and median of each and their ratios, and the installer's peak RSS; it
// asserts nothing about time (no timed assertions in tests).
//
// ALTCOS_BENCH_ARCHIVE: folder with deploy.tar.zst/deploy.json (make sysroot);
// ALTCOS_BENCH_REPO: the repository it came from (for the shell sequence);
// ALTCOS_BENCH_DIR: where the image files go (default a temporary folder);
// ALTCOS_BENCH_RUNS: rounds (default benchRuns).
// Without them the small test commit stands in, which the output says.
func TestBenchInstall(t *testing.T) {
	if os.Getenv("ALTCOS_BENCH_INSTALL") == "" {
		t.Skip("a benchmark: run it with make bench-install")
	}
	tooltest.Root(t)
	tooltest.Tools(t, installTools...)
	ctx := context.Background()
	archiveDir, repo := os.Getenv("ALTCOS_BENCH_ARCHIVE"), os.Getenv("ALTCOS_BENCH_REPO")
	var m *deployarchive.Manifest
	if _, err := os.Stat(filepath.Join(archiveDir, deployarchive.ManifestName)); archiveDir == "" || err != nil {
		fmt.Printf("bench-install: no deploy archive in %q (make compose sysroot); using the small test commit\n", archiveDir)
		archiveDir, m = archivetest.Build(t, "")
		repo = filepath.Join(filepath.Dir(archiveDir), "repo")
	} else {
		var err error
		if m, err = deployarchive.ReadManifest(filepath.Join(archiveDir, deployarchive.ManifestName)); err != nil {
			t.Fatal(err)
		}
	}
	dir := os.Getenv("ALTCOS_BENCH_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	runs := benchRuns
	if n, err := strconv.Atoi(os.Getenv("ALTCOS_BENCH_RUNS")); err == nil && n > 0 {
		runs = n
	}
	var tInstall, tDD, tDDFile, tSeed []float64
	var hwm, hwmTools, written int64
	var steps []string
	for i := 0; i < runs; i++ {
		r := benchRound(t, ctx, dir, archiveDir, repo, m)
		tInstall, tDD, tDDFile, tSeed = append(tInstall, r.install), append(tDD, r.dd), append(tDDFile, r.ddFile), append(tSeed, r.seed)
		hwm, hwmTools, written = max(hwm, r.hwm), max(hwmTools, r.hwmTools), r.written
		steps = append(steps, r.steps)
		fmt.Printf("  run %d: installer %.2f s, dd loop %.2f s, dd file %.2f s, shell %.2f s\n", i+1, r.install, r.dd, r.ddFile, r.seed)
	}
	iMin, iMed := minMedian(tInstall)
	dMin, dMed := minMedian(tDD)
	fMin, fMed := minMedian(tDDFile)
	sMin, sMed := minMedian(tSeed)
	fmt.Printf("bench-install: %s %s, archive %d MiB, unpacked root %d MiB + boot %d MiB, image 8 GiB, %d MiB written; %d runs, min/median\n",
		m.Ref, m.Version, m.Archive.Size>>20, m.RootBytes>>20, m.BootBytes>>20, written>>20, runs)
	fmt.Printf("  installer           %5.2f / %5.2f s   peak RSS %d MiB (VmHWM; goal <= 64 MiB), %d MiB with the tools it runs (getrusage)\n", iMin, iMed, hwm>>20, hwmTools>>20)
	fmt.Printf("    steps of the median run:%s\n", steps[medianIndex(tInstall)])
	fmt.Printf("  dd same bytes, loop %5.2f / %5.2f s   installer/dd    = %.2fx min, %.2fx MEDIAN (goal <= 1.3x)\n", dMin, dMed, iMin/dMin, iMed/dMed)
	fmt.Printf("  dd same bytes, file %5.2f / %5.2f s   installer/dd    = %.2fx min, %.2fx median (no loop layer; for comparison)\n", fMin, fMed, iMin/fMin, iMed/fMed)
	fmt.Printf("  seed shell sequence %5.2f / %5.2f s   installer/shell = %.2fx min, %.2fx median (goal < 1x)\n", sMin, sMed, iMin/sMin, iMed/sMed)
}

// benchRuns is how many rounds make bench-install runs.
const benchRuns = 5

type benchResult struct {
	install, dd, seed      float64 // seconds
	ddFile                 float64
	hwm, hwmTools, written int64 // bytes
	steps                  string
}

// benchRound is one round of TestBenchInstall.
func benchRound(t *testing.T, ctx context.Context, dir, archiveDir, repo string, m *deployarchive.Manifest) benchResult {
	var r benchResult
	img := sparseImageAt(t, filepath.Join(dir, "install.img"), 8<<30)
	defer os.Remove(img)

	// 1. The installer, in a child process (this test binary running
	// TestBenchInstallChild) so that its peak RSS is the install's alone.
	unixSync()
	start := time.Now()
	child := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestBenchInstallChild$", "-test.count=1")
	child.Env = append(os.Environ(), "ALTCOS_BENCH_CHILD_IMAGE="+img, "ALTCOS_BENCH_CHILD_ARCHIVE="+filepath.Join(archiveDir, deployarchive.ArchiveName))
	out, err := child.CombinedOutput()
	r.install = time.Since(start).Seconds()
	if err != nil {
		t.Fatalf("install: %v\n%s", err, out)
	}
	r.hwm = childHWM(out)
	for _, l := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(l, "altcos-bench steps:"); ok {
			r.steps = v
		}
	}
	r.hwmTools = child.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10
	fi, err := os.Stat(img)
	if err != nil {
		t.Fatal(err)
	}
	r.written = fi.Sys().(*syscall.Stat_t).Blocks * 512

	// 2. dd of the same number of bytes onto a loop device over a sparse
	// image, as the installer writes, with its own sync (conv=fsync).
	ddImg := sparseImageAt(t, filepath.Join(dir, "dd.img"), 8<<30)
	defer os.Remove(ddImg)
	loop, err := layout.AttachLoop(ctx, nil, ddImg, 512)
	if err != nil {
		t.Fatal(err)
	}
	unixSync()
	start = time.Now()
	ddErr := run.Run(ctx, nil, run.Cmd{Argv: []string{"dd", "if=/dev/zero", "of=" + loop, "bs=1M", "count=" + strconv.FormatInt(r.written>>20, 10), "conv=fsync", "status=none"}})
	r.dd = time.Since(start).Seconds()
	if err := layout.DetachLoop(ctx, nil, loop); err != nil {
		t.Error(err)
	}
	if ddErr != nil {
		t.Fatal(ddErr)
	}

	// 2b. For comparison, dd of the same bytes into a plain file (no loop
	// device): the filesystem below without the loop layer.
	fileImg := sparseImageAt(t, filepath.Join(dir, "dd-file.img"), 8<<30)
	defer os.Remove(fileImg)
	unixSync()
	start = time.Now()
	if err := run.Run(ctx, nil, run.Cmd{Argv: []string{"dd", "if=/dev/zero", "of=" + fileImg, "bs=1M", "count=" + strconv.FormatInt(r.written>>20, 10), "conv=fsync,notrunc", "status=none"}}); err != nil {
		t.Fatal(err)
	}
	r.ddFile = time.Since(start).Seconds()

	// 3. The seed's shell sequence on the same commit.
	seedImg := sparseImageAt(t, filepath.Join(dir, "seed.img"), 8<<30)
	defer os.Remove(seedImg)
	script, _ := filepath.Abs("testdata/seed-install.sh")
	unixSync()
	start = time.Now()
	if err := run.Run(ctx, nil, run.Cmd{Argv: []string{"bash", script, seedImg, repo, m.Commit, m.OSName}}); err != nil {
		t.Errorf("seed shell sequence: %v", err)
	}
	r.seed = time.Since(start).Seconds()
	return r
}

// minMedian returns the smallest and the median of xs (not empty).
func minMedian(xs []float64) (float64, float64) {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[0], s[len(s)/2]
}

// medianIndex is the index in xs of its median.
func medianIndex(xs []float64) int {
	_, med := minMedian(xs)
	return slices.Index(xs, med)
}

func unixSync() { syscall.Sync() }

// TestBenchInstallChild is the install of TestBenchInstall, run in a child
// process; it does nothing in a normal test run.
func TestBenchInstallChild(t *testing.T) {
	img, archive := os.Getenv("ALTCOS_BENCH_CHILD_IMAGE"), os.Getenv("ALTCOS_BENCH_CHILD_ARCHIVE")
	if img == "" {
		t.Skip("run by TestBenchInstall")
	}
	if v := os.Getenv("ALTCOS_BENCH_FLUSH"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatal(err)
		}
		flushInterval = d // 0: none (finish's syncfs alone)
	}
	rep := &stepTimer{last: time.Now()}
	if err := Run(context.Background(), &Plan{Device: img, ImageMode: true, ImageFile: archive, Yes: true, NoReboot: true}, Env{Progress: rep}); err != nil {
		t.Fatal(err)
	}
	rep.Step(0, 0, "")
	fmt.Println("altcos-bench steps:" + rep.out.String())
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			fmt.Println("altcos-bench", l)
		}
	}
}

// stepTimer records how long each step took.
type stepTimer struct {
	name string
	last time.Time
	out  strings.Builder
}

func (r *stepTimer) Step(n, total int, name string) {
	if r.name != "" {
		fmt.Fprintf(&r.out, " %s %.2fs;", r.name, time.Since(r.last).Seconds())
	}
	r.name, r.last = name, time.Now()
}
func (r *stepTimer) Bytes(done, total int64) {}
func (r *stepTimer) Info(string)             {}

// childHWM finds the VmHWM line TestBenchInstallChild printed, in bytes.
func childHWM(out []byte) int64 {
	for _, l := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(l, "altcos-bench VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
