package qemu

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// A machine that booted twice: its phases come from when each mark's
// output arrived, searched in order and again for the second boot.
func TestPhases(t *testing.T) {
	c, err := newConsole(filepath.Join(t.TempDir(), "c.log"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	t0 := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	writes := []struct {
		text string
		at   time.Duration
	}{
		{"SeaBIOS\r\n", 1 * time.Second},
		{"[    0.000000] Linux ver", 10 * time.Second},
		{"sion 6.1\r\n...", 11 * time.Second}, // the mark completes with this write
		{"login: ", 70 * time.Second},
		{"reboot: Restarting system\r\n", 100 * time.Second},
		{"Linux version 6.1\r\nlogin: ", 160 * time.Second},
		{"reboot: Power down\r\nreboot: again\r\n", 190 * time.Second},
	}
	for _, w := range writes {
		c.Write([]byte(w.text))
		c.arrived[len(c.arrived)-1].at = t0.Add(w.at)
	}
	if at, next, ok := c.When("Linux version", 0); !ok || !at.Equal(t0.Add(11*time.Second)) || c.Output()[next-len("Linux version"):next] != "Linux version" {
		t.Errorf("When(Linux version) = %v, %d, %v, want the time of the write completing it", at, next, ok)
	}
	if _, _, ok := c.When("never", 0); ok {
		t.Errorf("When(never) found it")
	}
	done := make(chan struct{})
	close(done)
	m := &Machine{Console: c, Started: t0, Ended: t0.Add(200 * time.Second), done: done}
	marks := []Mark{{"Linux version", "kernel"}, {"not shown", "never"}, {"login: ", "session"}, {"reboot: ", "firmware"}}
	got := m.Phases("firmware", marks, true)
	want := []Span{{"firmware", 11 * time.Second}, {"kernel", 59 * time.Second}, {"session", 30 * time.Second},
		{"firmware", 60 * time.Second}, {"kernel", 0}, {"session", 30 * time.Second}, {"firmware", 10 * time.Second}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Phases() =\n%v\nwant\n%v", got, want)
	}
	if s := FormatSpans(got[:2]); s != "firmware 11s, kernel 59s" {
		t.Errorf("FormatSpans = %q", s)
	}
	// Without cycle the first round ends it: the rest is the last phase.
	if got := m.Phases("firmware", marks, false); len(got) != 4 || got[3] != (Span{"firmware", 100 * time.Second}) {
		t.Errorf("Phases(no cycle) = %v, want 4 spans ending with firmware 1m40s", got)
	}
}
