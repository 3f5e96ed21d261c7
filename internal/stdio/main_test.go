package stdio

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestExitCode(t *testing.T) {
	for _, c := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("disk full"), 1},
		{&UsageError{Msg: "unknown flag --x"}, 2},
		{fmt.Errorf("install: %w", &UsageError{Msg: "no device"}), 2},
		{&ExitError{Code: 4, Err: errors.New("partition: I/O error")}, 4},
		{&ExitError{Code: 3, Err: &UsageError{Msg: "fetch"}}, 3},
		{fmt.Errorf("x: %w", &ExitError{Code: 70, Err: errors.New("bug")}), 70},
	} {
		if got := ExitCode(c.err); got != c.want {
			t.Errorf("ExitCode(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}

func TestReport(t *testing.T) {
	var b strings.Builder
	if got := Report(&b, "tool", nil); got != 0 || b.String() != "" {
		t.Errorf("Report(nil) = %d, wrote %q; want 0, nothing", got, b.String())
	}
	if got := Report(&b, "tool", &ExitError{Code: 3, Err: errors.New("fetch c.ign: 404")}); got != 3 || b.String() != "tool: fetch c.ign: 404\n" {
		t.Errorf("Report(ExitError 3) = %d, wrote %q; want 3, the error after the name", got, b.String())
	}
}
