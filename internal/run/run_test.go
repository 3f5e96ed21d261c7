package run

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestQuote(t *testing.T) {
	for _, tc := range []struct {
		argv, redact []string
		want         string
	}{
		{[]string{"mkfs.ext4", "-L", "boot", "/dev/vda3"}, nil, "mkfs.ext4 -L boot /dev/vda3"},
		{[]string{"sh", "-c", "echo 'hi'"}, nil, `sh -c 'echo '\''hi'\'''`},
		{[]string{"tool", "--password=s3cret"}, []string{"s3cret"}, "tool --password=<redacted>"},
		{[]string{"x", ""}, nil, "x ''"},
	} {
		if got := Quote(tc.argv, tc.redact); got != tc.want {
			t.Errorf("Quote(%q) = %s, want %s", tc.argv, got, tc.want)
		}
	}
}

func TestRunErrorCarriesStderrTail(t *testing.T) {
	err := Run(context.Background(), nil, Cmd{
		Argv:   []string{"sh", "-c", "echo the-secret-value is bad >&2; exit 3"},
		Redact: []string{"the-secret-value"},
	})
	var re *Error
	if !errors.As(err, &re) {
		t.Fatalf("Run = %v, want *Error", err)
	}
	if re.ExitCode != 3 {
		t.Errorf("ExitCode = %d, want 3", re.ExitCode)
	}
	if strings.Contains(err.Error(), "the-secret-value") {
		t.Errorf("error leaks a redacted value: %v", err)
	}
	if !strings.Contains(err.Error(), "<redacted> is bad") {
		t.Errorf("error = %v, want stderr tail", err)
	}
}

func TestTailIsBounded(t *testing.T) {
	w := &tailWriter{n: 4}
	w.Write([]byte("abcdef"))
	w.Write([]byte("gh"))
	if string(w.buf) != "efgh" {
		t.Errorf("tail = %q, want efgh", w.buf)
	}
}

func TestPathOverride(t *testing.T) {
	t.Setenv("ALTCOS_TOOL_MKFS_EXT4", "/opt/mkfs.ext4")
	if got := Path("mkfs.ext4"); got != "/opt/mkfs.ext4" {
		t.Errorf("Path(mkfs.ext4) = %s, want /opt/mkfs.ext4", got)
	}
}
