// Package tooltest gates tier-1 tests on root and external tools. A missing
// prerequisite skips the test, unless ALTCOS_REQUIRE_TOOLS=1 (set by CI), which
// turns every such skip into a failure.
package tooltest

import (
	"os"
	"testing"

	"github.com/altcos/altcos-tools/internal/run"
)

// Required reports whether missing tools must fail tests.
func Required() bool { return os.Getenv("ALTCOS_REQUIRE_TOOLS") == "1" }

func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if Required() {
		t.Fatalf("ALTCOS_REQUIRE_TOOLS=1: "+format, args...)
	}
	t.Skipf(format, args...)
}

// Tools skips (or fails) t unless every named tool is found.
func Tools(t testing.TB, names ...string) {
	t.Helper()
	for _, n := range names {
		if !run.Have(n) {
			missing(t, "tool %s not found (run scripts/install-deps.sh)", n)
		}
	}
}

// Root skips (or fails) t unless it runs as root.
func Root(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		missing(t, "needs root")
	}
}

// Slow marks a tier-1 test that takes more than a few seconds; `go test -short`
// skips it (never an error: -short is a developer's choice, not a missing tool).
func Slow(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("slow tier-1 test skipped with -short")
	}
}
