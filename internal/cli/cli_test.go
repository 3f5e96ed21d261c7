package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"reflect"
	"testing"
	"time"

	"github.com/altcos/altcos-tools/internal/stdio"
)

func TestDispatch(t *testing.T) {
	var got []string
	cmds := []Command{
		{"zeta", "the last", func(ctx context.Context, args []string, io stdio.Stdio) error { got = args; return nil }},
		{"alpha", "the first", func(ctx context.Context, args []string, io stdio.Stdio) error { return errors.New("boom") }},
	}
	var out bytes.Buffer
	sio := stdio.Stdio{Out: &out, Err: io.Discard}
	if err := Dispatch(context.Background(), "tool", "tool COMMAND [flags]", cmds, []string{"zeta", "a", "-b"}, sio); err != nil || !reflect.DeepEqual(got, []string{"a", "-b"}) {
		t.Errorf("Dispatch(zeta a -b) = %v, args %q; want nil, [a -b]", err, got)
	}
	if err := Dispatch(context.Background(), "tool", "", cmds, []string{"alpha"}, sio); err == nil || err.Error() != "alpha: boom" {
		t.Errorf("Dispatch(alpha) = %v, want alpha: boom", err)
	}
	var ue *stdio.UsageError
	if err := Dispatch(context.Background(), "tool", "", cmds, []string{"beta"}, sio); !errors.As(err, &ue) || err.Error() != "unknown command \"beta\"; run `tool help`" {
		t.Errorf("Dispatch(beta) = %v, want a usage error", err)
	}
	for _, help := range [][]string{nil, {"help"}, {"-h"}, {"--help"}} {
		out.Reset()
		if err := Dispatch(context.Background(), "tool", "tool COMMAND [flags]", cmds, help, sio); err != nil {
			t.Errorf("Dispatch(%q) = %v", help, err)
		}
		want := "usage: tool COMMAND [flags]\n\ncommands:\n  alpha  the first\n  zeta   the last\n\nRun `tool COMMAND -h` for a command's flags.\n"
		if out.String() != want {
			t.Errorf("Dispatch(%q) printed %q, want %q", help, out.String(), want)
		}
	}
}

func TestParseInterleaved(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		pos      []string
		v        bool
		l        List
		help     bool
		usageErr bool
	}{
		{[]string{"a", "-v", "b"}, []string{"a", "b"}, true, nil, false, false},
		{[]string{"-l", "x", "a", "-l", "y"}, []string{"a"}, false, List{"x", "y"}, false, false},
		{[]string{"a", "--", "-v", "b"}, []string{"a", "-v", "b"}, false, nil, false, false},
		{[]string{"a", "-h"}, nil, false, nil, true, false},
		{[]string{"a", "--bogus"}, nil, false, nil, false, true},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		v := fs.Bool("v", false, "")
		var l List
		fs.Var(&l, "l", "")
		pos, help, err := ParseInterleaved(fs, tc.args)
		var ue *stdio.UsageError
		if !reflect.DeepEqual(pos, tc.pos) || *v != tc.v || !reflect.DeepEqual(l, tc.l) || help != tc.help || errors.As(err, &ue) != tc.usageErr {
			t.Errorf("ParseInterleaved(%q) = %q (v %v, l %q), help %v, %v; want %q (v %v, l %q), help %v, usage error %v",
				tc.args, pos, *v, l, help, err, tc.pos, tc.v, tc.l, tc.help, tc.usageErr)
		}
	}
}

func TestSourceDateEpoch(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{"", time.Time{}, false},
		{"0", time.Unix(0, 0).UTC(), false},
		{"1764028800", time.Date(2025, 11, 25, 0, 0, 0, 0, time.UTC), false},
		{"-5", time.Time{}, true},
		{"1.5", time.Time{}, true},
		{"yesterday", time.Time{}, true},
	} {
		t.Setenv("SOURCE_DATE_EPOCH", tc.in)
		got, err := SourceDateEpoch()
		if (err != nil) != tc.wantErr || !got.Equal(tc.want) || (err == nil && got.Location() != time.UTC) {
			t.Errorf("SourceDateEpoch() with %q = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
		if err != nil && !bytes.Contains([]byte(err.Error()), []byte("SOURCE_DATE_EPOCH")) {
			t.Errorf("SourceDateEpoch() error %q does not name the variable", err)
		}
	}
}
