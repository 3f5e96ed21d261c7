package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestPlain(t *testing.T) {
	var b bytes.Buffer
	p := NewPlain(&b)
	p.Step(5, 10, "deploy")
	for i := int64(0); i <= 100; i++ {
		p.Bytes(i<<20, 100<<20)
	}
	p.Info("hello")
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 1+11+1 || lines[0] != "[5/10] deploy" || lines[11] != "deploy: 100% (100.0 MiB of 100.0 MiB)" || lines[12] != "hello" {
		t.Errorf("Plain output = %q, want a step line, 11 percent lines, an info line", lines)
	}
	if strings.Contains(b.String(), "\r") || strings.Contains(b.String(), "\x1b") {
		t.Errorf("Plain output has terminal control characters: %q", b.String())
	}
}

func TestTerminal(t *testing.T) {
	var b bytes.Buffer
	r := NewTerminal(&b)
	r.Step(1, 2, "check target")
	r.Info("note")
	r.Step(2, 2, "deploy")
	r.Bytes(50, 100)
	r.Done(nil, "")
	out := b.String()
	for _, want := range []string{"\r\x1b[K[1/2] check target\nnote\n", "[2/2] deploy   50%  50 B of 100 B", "\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("Terminal output %q lacks %q", out, want)
		}
	}
}

func TestJSON(t *testing.T) {
	var b bytes.Buffer
	j := NewJSON(&b)
	j.now = func() time.Time { return time.Unix(0, 0) }
	j.Step(1, 10, "check target")
	j.Bytes(1, 2)
	j.Bytes(1, 2) // same percent: not repeated
	j.Info("hi")
	j.Done(errors.New("disk /dev/x not found"), "usage")
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	want := []Event{
		{Event: "step", N: 1, Total: 10, Name: "check target"},
		{Event: "bytes", Done: 1, Bytes: 2},
		{Event: "info", Message: "hi"},
		{Event: "error", Message: "disk /dev/x not found", Class: "usage"},
	}
	if len(lines) != len(want) {
		t.Fatalf("JSON lines = %q, want %d", lines, len(want))
	}
	for i, l := range lines {
		var e Event
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		want[i].Time = "1970-01-01T00:00:00Z"
		if e != want[i] {
			t.Errorf("event %d = %+v, want %+v", i, e, want[i])
		}
	}
}

// screen replays terminal output (carriage return, erase line, newline) and
// returns the lines as a person would see them.
func screen(out string) []string {
	lines := []string{""}
	for i := 0; i < len(out); i++ {
		switch {
		case out[i] == '\r':
			lines[len(lines)-1] = ""
		case strings.HasPrefix(out[i:], "\x1b[K"):
			i += 2
		case out[i] == '\n':
			lines = append(lines, "")
		default:
			lines[len(lines)-1] += out[i : i+1]
		}
	}
	return lines
}

// TestTerminalMessagesInTheirStep: on a terminal, a step's messages show
// under its header (not above it), and the last message ends its line
// before whatever comes next (the reboot prompt).
func TestTerminalMessagesInTheirStep(t *testing.T) {
	var b bytes.Buffer
	r := NewTerminal(&b)
	r.Step(3, 12, "fetch ignition")
	r.Info("no Ignition config: the installed system boots without one")
	r.Step(8, 12, "deploy")
	r.Bytes(50, 100)
	r.Info("a note mid-stream")
	r.Bytes(100, 100)
	r.Step(12, 12, "finish")
	r.Info("ALTCOS v1 installed on /dev/vda")
	b.WriteString("Reboot now? ") // the prompt writes on its own
	want := []string{
		"[3/12] fetch ignition",
		"no Ignition config: the installed system boots without one",
		"[8/12] deploy   50%  50 B of 100 B",
		"a note mid-stream",
		"[8/12] deploy  100%  100 B of 100 B",
		"[12/12] finish",
		"ALTCOS v1 installed on /dev/vda",
		"Reboot now? ",
	}
	if got := screen(b.String()); !reflect.DeepEqual(got, want) {
		t.Errorf("Terminal screen =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
