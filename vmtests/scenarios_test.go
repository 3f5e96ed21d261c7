package vmtests

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestScenarios runs every scenario as a subtest (go test -run
// 'TestScenarios/pxe'), with the artifacts named by ALTCOS_VMTEST_ISO,
// ALTCOS_VMTEST_PXE_DIR, ALTCOS_VMTEST_QCOW2 and ALTCOS_VMTEST_MANIFEST.
// VMTEST_BUDGET_SECS bounds the whole run: a scenario that no longer fits is
// skipped and named. ALTCOS_VMTEST_BREAK=1 breaks the installs on purpose.
func TestScenarios(t *testing.T) {
	out := gate(t)
	ctx := testContext(t)
	log := testLogger(t)
	budget := time.Duration(0)
	if s := os.Getenv("VMTEST_BUDGET_SECS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("VMTEST_BUDGET_SECS=%q is not a number of seconds", s)
		}
		budget = time.Duration(n) * time.Second
	}
	accel := os.Getenv("ALTCOS_VMTEST_ACCEL")
	if accel == "" {
		kernel, err := DebianKernel(ctx, log, filepath.Join(repoRoot(t), ".cache", "vmtest", "kernel"))
		if err != nil {
			t.Fatal(err)
		}
		initrd := filepath.Join(out, "smoke.cpio")
		if err := SmokeInitramfs(initrd, "/bin/busybox"); err != nil {
			t.Fatal(err)
		}
		accel = ProbeAccel(ctx, log, out, kernel, initrd)
	}
	t.Logf("accelerator: %s", accel)
	art := ArtifactsFromEnv()
	start := time.Now()
	var results []Result
	for _, s := range Scenarios() {
		ok := t.Run(s.Name, func(t *testing.T) {
			r := Result{Name: s.Name}
			defer func() { results = append(results, r) }()
			if left := budget - time.Since(start); budget > 0 && left < s.Estimate {
				r.Status = "not run"
				t.Skipf("VMTEST_BUDGET_SECS: %s of the budget left, %s needs up to %s", left.Round(time.Second), s.Name, s.Estimate)
			}
			dir := filepath.Join(out, s.Name)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			env := &Env{Log: log, Out: dir, Accel: accel, Art: art, Progress: tWriter{t}, Break: os.Getenv("ALTCOS_VMTEST_BREAK") == "1"}
			t0 := time.Now()
			err := s.Run(ctx, env)
			r.Took = time.Since(t0)
			var skip *SkipError
			switch {
			case errors.As(err, &skip) && skip.Missing && os.Getenv("ALTCOS_REQUIRE_TOOLS") == "1":
				r.Status, r.Err = "FAIL", err
				t.Fatalf("ALTCOS_REQUIRE_TOOLS=1: %s", skip.Reason)
			case errors.As(err, &skip):
				r.Status, r.Err = "skip", err
				t.Skip(skip.Reason)
			case err != nil:
				r.Status, r.Err = "FAIL", err
				t.Fatalf("%s (%s): %v", s.Name, r.Took.Round(time.Second), err)
			}
			r.Status = "pass"
			t.Logf("%s: pass in %s", s.Name, r.Took.Round(time.Second))
		})
		_ = ok
	}
	t.Log("\n" + Summary(results))
}
