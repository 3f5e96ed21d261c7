package buildcli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

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
		var ue *UsageError
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

func TestSourceDateEpoch(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{"", time.Time{}, false},
		{"1764028800", time.Date(2025, 11, 25, 0, 0, 0, 0, time.UTC), false},
		{"-5", time.Time{}, true},
		{"yesterday", time.Time{}, true},
	}
	for _, tt := range tests {
		got, err := sourceDateEpoch(tt.in)
		if (err != nil) != tt.wantErr || !got.Equal(tt.want) {
			t.Errorf("sourceDateEpoch(%q) = %v, %v, want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
