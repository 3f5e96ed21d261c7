package installer

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/altcos/altcos-tools/deployarchive"
	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/internal/testkit/archivetest"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
)

// TestBenchInstall is `make bench-install`: one install of a deploy archive
// into a sparse 8 GiB image, the time to dd the same number of bytes, the
// seed installer's shell sequence (testdata/seed-install.sh) on the same
// commit, their ratios, and the installer's peak RSS. It prints figures and
// asserts nothing about time (no timed assertions in tests).
//
// ALTCOS_BENCH_ARCHIVE: folder with deploy.tar.zst/deploy.json (make sysroot);
// ALTCOS_BENCH_REPO: the repository it came from (for the shell sequence);
// ALTCOS_BENCH_DIR: where the image files go (default a temporary folder).
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
	img := filepath.Join(dir, "install.img")
	os.Remove(img)
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Truncate(img, 8<<30)
	t.Cleanup(func() { os.Remove(img) })

	// 1. The installer, in a child process (this test binary running
	// TestBenchInstallChild) so that its peak RSS is the install's alone.
	unixSync()
	start := time.Now()
	child := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestBenchInstallChild$", "-test.count=1")
	child.Env = append(os.Environ(), "ALTCOS_BENCH_CHILD_IMAGE="+img, "ALTCOS_BENCH_CHILD_ARCHIVE="+filepath.Join(archiveDir, deployarchive.ArchiveName))
	out, err := child.CombinedOutput()
	tInstall := time.Since(start)
	if err != nil {
		t.Fatalf("install: %v\n%s", err, out)
	}
	hwm := childHWM(out)
	steps := ""
	for _, l := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(l, "altcos-bench steps:"); ok {
			steps = v
		}
	}
	hwmTools := child.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10
	fi, _ := os.Stat(img)
	written := fi.Sys().(*syscall.Stat_t).Blocks * 512

	// 2. dd of the same number of bytes, synced like the install.
	ddImg := filepath.Join(dir, "dd.img")
	t.Cleanup(func() { os.Remove(ddImg) })
	unixSync()
	start = time.Now()
	if err := run.Run(ctx, nil, run.Cmd{Argv: []string{"dd", "if=/dev/zero", "of=" + ddImg, "bs=1M", "count=" + strconv.FormatInt(written>>20, 10), "conv=fsync", "status=none"}}); err != nil {
		t.Fatal(err)
	}
	tDD := time.Since(start)

	// 3. The seed's shell sequence on the same commit.
	seedImg := filepath.Join(dir, "seed.img")
	os.Remove(seedImg)
	os.WriteFile(seedImg, nil, 0o644)
	os.Truncate(seedImg, 8<<30)
	t.Cleanup(func() { os.Remove(seedImg) })
	script, _ := filepath.Abs("testdata/seed-install.sh")
	unixSync()
	start = time.Now()
	seedErr := run.Run(ctx, nil, run.Cmd{Argv: []string{"bash", script, seedImg, repo, m.Commit, m.OSName}})
	tSeed := time.Since(start)
	if seedErr != nil {
		t.Errorf("seed shell sequence: %v", seedErr)
	}

	fmt.Printf("bench-install: %s %s, archive %d MiB, unpacked root %d MiB + boot %d MiB, image 8 GiB, %d MiB written\n",
		m.Ref, m.Version, m.Archive.Size>>20, m.RootBytes>>20, m.BootBytes>>20, written>>20)
	fmt.Printf("  installer           %7.2f s   peak RSS %d MiB (VmHWM; goal < 64 MiB), %d MiB with the tools it runs (getrusage)\n", tInstall.Seconds(), hwm>>20, hwmTools>>20)
	fmt.Printf("    steps:%s\n", steps)
	fmt.Printf("  dd same bytes       %7.2f s   installer/dd    = %.2fx (goal <= 1.3x)\n", tDD.Seconds(), tInstall.Seconds()/tDD.Seconds())
	fmt.Printf("  seed shell sequence %7.2f s   installer/shell = %.2fx (goal < 1x)\n", tSeed.Seconds(), tInstall.Seconds()/tSeed.Seconds())
}

func unixSync() { syscall.Sync() }

// TestBenchInstallChild is the install of TestBenchInstall, run in a child
// process; it does nothing in a normal test run.
func TestBenchInstallChild(t *testing.T) {
	img, archive := os.Getenv("ALTCOS_BENCH_CHILD_IMAGE"), os.Getenv("ALTCOS_BENCH_CHILD_ARCHIVE")
	if img == "" {
		t.Skip("run by TestBenchInstall")
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
