package vmtests

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// gate skips a tier-2 test unless ALTCOS_VMTEST=1 and returns the folder where
// the test keeps its console logs and disks: out/vmtest/<test name> under the
// repository (ALTCOS_VMTEST_OUT overrides out/vmtest). It is emptied at the
// start and kept afterwards, so a failed run can be read later.
func gate(t *testing.T) string {
	t.Helper()
	if os.Getenv("ALTCOS_VMTEST") != "1" {
		t.Skip("tier-2 machine test: set ALTCOS_VMTEST=1 (make vmtest)")
	}
	base := os.Getenv("ALTCOS_VMTEST_OUT")
	if base == "" {
		base = filepath.Join(repoRoot(t), "out", "vmtest")
	}
	dir := filepath.Join(base, regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(t.Name(), "_"))
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// repoRoot is the module root (the tests run in vmtests/).
func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(wd)
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

func testContext(t *testing.T) context.Context {
	return t.Context()
}
