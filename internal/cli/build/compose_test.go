package buildcli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/internal/stdio"
)

func TestComposeUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"compose"}, "compose takes one OS tree"},
		{[]string{"compose", "tree"}, "compose needs --repo"},
		{[]string{"compose", "--repo", "r", "a", "b"}, "compose takes one OS tree"},
		{[]string{"compose", "--bogus"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		err := Run(context.Background(), tt.args, stdio.Stdio{Out: &out, Err: &errb})
		var ue *stdio.UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Run(%q) = %v, want a usage error containing %q", tt.args, err, tt.want)
		}
	}
}

func TestComposeBadStream(t *testing.T) {
	var out, errb bytes.Buffer
	err := Run(context.Background(), []string{"compose", "--repo", t.TempDir(), "--stream", "a/b", t.TempDir()}, stdio.Stdio{Out: &out, Err: &errb})
	if err == nil || !strings.Contains(err.Error(), `stream name "a/b" is not valid`) {
		t.Errorf("Run(compose --stream a/b) = %v, want the stream refused", err)
	}
}

// TestSourceDateEpochRule: every command that reads SOURCE_DATE_EPOCH
// refuses a bad one before doing anything, naming the variable.
func TestSourceDateEpochRule(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "-1")
	for _, args := range [][]string{
		{"compose", "--repo", t.TempDir(), t.TempDir()},
		{"sysroot", "--repo", t.TempDir(), "-o", t.TempDir()},
		{"iso", "--tree", t.TempDir(), "--archive", t.TempDir(), "-o", t.TempDir() + "/x.iso"},
	} {
		err := Run(context.Background(), args, stdio.Stdio{Out: io.Discard, Err: io.Discard})
		if err == nil || !strings.Contains(err.Error(), `SOURCE_DATE_EPOCH="-1"`) {
			t.Errorf("Run(%q) with SOURCE_DATE_EPOCH=-1 = %v, want the variable refused", args, err)
		}
	}
}
