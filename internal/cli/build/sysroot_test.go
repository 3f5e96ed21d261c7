package buildcli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/internal/stdio"
)

func TestSysrootUsage(t *testing.T) {
	for _, args := range [][]string{{"sysroot"}, {"sysroot", "--repo", "r"}, {"sysroot", "-o", "d"}, {"sysroot", "--repo", "r", "-o", "d", "extra"}, {"sysroot", "--bogus"}} {
		var out, errb bytes.Buffer
		err := Run(context.Background(), args, stdio.Stdio{Out: &out, Err: &errb})
		var ue *stdio.UsageError
		if !errors.As(err, &ue) {
			t.Errorf("Run(%q) = %v, want a UsageError", args, err)
		}
	}
	var out, errb bytes.Buffer
	err := Run(context.Background(), []string{"sysroot", "--repo", t.TempDir(), "-o", t.TempDir()}, stdio.Stdio{Out: &out, Err: &errb})
	if err == nil || !strings.Contains(err.Error(), "not an ostree repository") {
		t.Errorf("Run(sysroot on an empty folder) = %v, want a not-a-repository error", err)
	}
}
