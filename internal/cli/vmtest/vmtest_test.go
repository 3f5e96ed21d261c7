package vmtestcli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/internal/stdio"
)

// noArtifacts clears the environment altcos-vmtest reads its defaults from.
func noArtifacts(t *testing.T) {
	for _, k := range []string{"ALTCOS_VMTEST_ISO", "ALTCOS_VMTEST_PXE_DIR", "ALTCOS_VMTEST_QCOW2", "ALTCOS_VMTEST_MANIFEST",
		"ALTCOS_VMTEST_REPO", "ALTCOS_VMTEST_ARTIFACTS", "ALTCOS_VMTEST_ACCEL", "ALTCOS_VMTEST_CPUS", "ALTCOS_VMTEST_BREAK", "VMTEST_BUDGET_SECS"} {
		t.Setenv(k, "")
	}
}

func TestUsage(t *testing.T) {
	noArtifacts(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, "unknown command"},
		{[]string{"run", "--budget", "soon"}, "--budget"},
		{[]string{"run", "extra.iso"}, "unexpected argument"},
		{[]string{"run", "--no-such-flag"}, "no-such-flag"},
		{[]string{"run", "--accel", "hvf"}, "--accel"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		err := Run(context.Background(), tt.args, stdio.Stdio{Out: &out, Err: &errb})
		var ue *stdio.UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Run(%q) = %v, want a usage error about %q", tt.args, err, tt.want)
		}
	}
	var out bytes.Buffer
	if err := Run(context.Background(), []string{"list"}, stdio.Stdio{Out: &out}); err != nil || !strings.Contains(out.String(), "bios-unattended") {
		t.Errorf("Run(list) = %v, %q", err, out.String())
	}
}

func TestRunMissingArtifacts(t *testing.T) {
	noArtifacts(t)
	args := []string{"run", "--accel", "tcg", "--out", t.TempDir(), "--scenario", "qcow2"}
	var out, errb bytes.Buffer
	err := Run(context.Background(), args, stdio.Stdio{Out: &out, Err: &errb})
	if code := stdio.ExitCode(err); code != 1 {
		t.Fatalf("Run(%q) exit code %d (%v), want 1", args, code, err)
	}
	for _, want := range []string{"qcow2: FAIL", "no QCOW2 image", "--qcow2", "make vmtest-artifacts", "--skip-missing"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("Run(%q) output lacks %q:\n%s", args, want, out.String())
		}
	}

	args = append(args, "--skip-missing")
	out.Reset()
	if err := Run(context.Background(), args, stdio.Stdio{Out: &out, Err: &errb}); err != nil {
		t.Fatalf("Run(%q) = %v, want the scenario skipped", args, err)
	}
	if !strings.Contains(out.String(), "qcow2: skip") {
		t.Errorf("Run(%q) output does not show the skip:\n%s", args, out.String())
	}
}

// TestDemoFlags: `make demo` runs altcos-vmtest demo with these flags; with
// no ISO and no PXE folder the demo says what to build, not how to call it.
func TestDemoFlags(t *testing.T) {
	noArtifacts(t)
	args := []string{"demo", "--accel", "tcg", "--iso", "", "--pxe-dir", "", "--manifest", "deploy.json", "--out", t.TempDir()}
	var out, errb bytes.Buffer
	err := Run(context.Background(), args, stdio.Stdio{Out: &out, Err: &errb})
	var ue *stdio.UsageError
	if err == nil || errors.As(err, &ue) || !strings.Contains(err.Error(), "make iso pxe") {
		t.Errorf("Run(%q) = %v, want the demo's own error naming make iso pxe", args, err)
	}
}

// The demo's closing table starts with the phases of --phase-times (the
// Makefile's builds), also when the demo fails; a bad line is refused.
func TestDemoPhaseTimes(t *testing.T) {
	noArtifacts(t)
	dir := t.TempDir()
	times := filepath.Join(dir, "build.times")
	if err := os.WriteFile(times, []byte("make compose\t62\nmake iso\t5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"demo", "--accel", "tcg", "--iso", "", "--pxe-dir", "", "--out", dir, "--phase-times", times}
	var out, errb bytes.Buffer
	if err := Run(context.Background(), args, stdio.Stdio{Out: &out, Err: &errb}); err == nil {
		t.Fatalf("Run(%q) succeeded without artifacts", args)
	}
	for _, want := range []string{"demo: phase times\n", "  make compose ", "1m2s\n", "  make iso ", "  total "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
	if err := os.WriteFile(times, []byte("make compose 62\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Run(context.Background(), args, stdio.Stdio{Out: &out, Err: &errb}); err == nil || !strings.Contains(err.Error(), "NAME<TAB>SECONDS") {
		t.Errorf("Run with a bad --phase-times line = %v, want it refused", err)
	}
}
