package vmtests

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestScenarios runs every scenario as a subtest (go test -run
// 'TestScenarios/pxe') with Run, the runner of `altcos-vmtest run`, and the
// artifacts named by ALTCOS_VMTEST_ISO, ALTCOS_VMTEST_PXE_DIR,
// ALTCOS_VMTEST_QCOW2, ALTCOS_VMTEST_MANIFEST and ALTCOS_VMTEST_REPO (or
// found under ALTCOS_VMTEST_ARTIFACTS). VMTEST_BUDGET_SECS bounds the whole
// run: a scenario that no longer fits is skipped and named, and a running one
// is stopped when the budget ends. A missing artifact skips its scenario,
// unless ALTCOS_REQUIRE_TOOLS=1. ALTCOS_VMTEST_BREAK=1 breaks the installs on
// purpose.
func TestScenarios(t *testing.T) {
	out := gate(t)
	budget, err := ParseBudget(os.Getenv("VMTEST_BUDGET_SECS"))
	if err != nil {
		t.Fatalf("VMTEST_BUDGET_SECS: %v", err)
	}
	cpus, err := ParseCPUs(os.Getenv("ALTCOS_VMTEST_CPUS"))
	if err != nil {
		t.Fatalf("ALTCOS_VMTEST_CPUS: %v", err)
	}
	o := Options{
		Env: Env{
			Log:   testLogger(t),
			CPUs:  cpus,
			Accel: os.Getenv("ALTCOS_VMTEST_ACCEL"), // empty: the KVM probe
			Art:   artifactsFromEnv(),
			Break: os.Getenv("ALTCOS_VMTEST_BREAK") == "1",
		},
		Out:         out,
		KernelDir:   filepath.Join(repoRoot(t), ".cache", "vmtest", "kernel"),
		Budget:      budget,
		SkipMissing: os.Getenv("ALTCOS_REQUIRE_TOOLS") != "1",
		MissingHint: " (ALTCOS_REQUIRE_TOOLS=1 makes it a failure)",
		Report:      tWriter{t},
		Subtest: func(name string, body func(io.Writer) Result) {
			t.Run(name, func(t *testing.T) {
				r := body(tWriter{t})
				switch r.Status {
				case statusPass:
				case statusSkip, statusNotRun:
					t.Skip(r.Err)
				default:
					t.Fatalf("%s failed after %s; its error and console tail are above", name, r.Took.Round(time.Second))
				}
			})
		},
	}
	if _, err := Run(testContext(t), o); err != nil && !t.Failed() {
		t.Fatal(err) // not a scenario's failure: the subtests report those
	}
}
