package prompt

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/installer/password"
)

func TestLinesSelect(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
		err  bool
	}{
		{"2\n", 1, false},
		{"x\n0\n3\n", 2, false},
		{"9\n9\n9\n", -1, true},
		{"", -1, true},
	} {
		var out bytes.Buffer
		got, err := NewLines(strings.NewReader(tc.in), &out).Select("Disk", []string{"a", "b", "c"})
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("Select(input %q) = %d, %v, want %d, error %v", tc.in, got, err, tc.want, tc.err)
		}
		if !strings.Contains(out.String(), "  3) c") {
			t.Errorf("Select output %q lacks the numbered list", out.String())
		}
	}
}

func TestLinesConfirm(t *testing.T) {
	for in, want := range map[string]bool{"y\n": true, "Y\n": true, "yes\n": true, " y \r\n": true, "n\n": false, "\n": false, "yy\n": false, "sure\n": false, "y": true} {
		got, err := NewLines(strings.NewReader(in), &bytes.Buffer{}).Confirm("Wipe?")
		if err != nil || got != want {
			t.Errorf("Confirm(%q) = %v, %v, want %v", in, got, err, want)
		}
	}
	if _, err := NewLines(strings.NewReader(""), &bytes.Buffer{}).Confirm("Wipe?"); !errors.Is(err, ErrNoInput) {
		t.Errorf("Confirm(EOF) error = %v, want ErrNoInput", err)
	}
}

func TestRootPassword(t *testing.T) {
	var out bytes.Buffer
	h, err := RootPassword(NewLines(strings.NewReader("hunter2\nhunter2\n"), &out))
	if err != nil || !password.Verify("hunter2", h) {
		t.Errorf("RootPassword(same twice) = %q, %v, want a hash of hunter2", h, err)
	}
	if strings.Contains(out.String(), "hunter2") {
		t.Errorf("RootPassword echoed the password: %q", out.String())
	}
	if _, err := RootPassword(NewLines(strings.NewReader("a\nb\n"), &out)); !errors.Is(err, ErrMismatch) {
		t.Errorf("RootPassword(mismatch) error = %v, want ErrMismatch", err)
	}
	if h, err := RootPassword(NewLines(strings.NewReader("\n"), &out)); h != "" || err != nil {
		t.Errorf("RootPassword(empty) = %q, %v, want no password", h, err)
	}
}
