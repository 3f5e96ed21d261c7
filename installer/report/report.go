// Package report shows install progress: a line redrawn in place on a
// terminal, plain lines on a serial console or in a log, or one JSON event
// per line for machines (--json). All implement installer.Reporter; none is
// ever given a secret to print.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/altcos/altcos-tools/installer"
)

// Reporter is installer.Reporter plus the end of an install.
type Reporter interface {
	installer.Reporter
	// Done ends the progress display; err nil means success. class is the
	// error class (usage, fetch, disk, internal) for machine readers.
	Done(err error, class string)
}

func human(n int64) string {
	const u = 1024
	if n < u {
		return fmt.Sprintf("%d B", n)
	}
	f, i := float64(n), -1
	for f >= u && i < 4 {
		f /= u
		i++
	}
	return fmt.Sprintf("%.1f %ciB", f, "KMGTP"[i])
}

// Terminal redraws one status line ("[5/10] deploy  42%  1.2 GiB of 2.9 GiB").
// A message ends the status line where it stands and goes below it, inside
// its step; the next byte count draws a fresh status line under it. So the
// screen reads in order, and whatever comes after a message (a prompt, the
// shell) starts on a line of its own.
type Terminal struct {
	mu   sync.Mutex
	w    io.Writer
	line string // the status line being redrawn, "" when the cursor is at a line start
	base string // the current step's header
	last time.Time
}

// NewTerminal reports on a terminal w.
func NewTerminal(w io.Writer) *Terminal { return &Terminal{w: w} }

func (t *Terminal) draw(s string) {
	t.line = s
	fmt.Fprintf(t.w, "\r\x1b[K%s", s)
}

// endLine leaves the status line as it stands and moves to a new line.
func (t *Terminal) endLine() {
	if t.line != "" {
		fmt.Fprintln(t.w)
		t.line = ""
	}
}

// Step starts a new status line.
func (t *Terminal) Step(n, total int, name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.endLine()
	t.base = fmt.Sprintf("[%d/%d] %s", n, total, name)
	t.draw(t.base)
}

// Bytes redraws the status line, at most ten times a second.
func (t *Terminal) Bytes(done, total int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	if now.Sub(t.last) < 100*time.Millisecond && done != total {
		return
	}
	t.last = now
	if total > 0 {
		t.draw(fmt.Sprintf("%s  %3d%%  %s of %s", t.base, done*100/total, human(done), human(total)))
	} else {
		t.draw(fmt.Sprintf("%s  %s", t.base, human(done)))
	}
}

// Info prints a line under the status line, which stays as it was.
func (t *Terminal) Info(msg string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.endLine()
	fmt.Fprintln(t.w, msg)
}

// Done ends the status line.
func (t *Terminal) Done(err error, class string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.endLine()
}

// Plain prints one line per step and per tenth of a byte count, for serial
// consoles and logs where redrawing would garble the output.
type Plain struct {
	mu      sync.Mutex
	w       io.Writer
	step    string
	lastPct int64
}

// NewPlain reports as plain lines on w.
func NewPlain(w io.Writer) *Plain { return &Plain{w: w} }

// Step prints the step.
func (p *Plain) Step(n, total int, name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.step, p.lastPct = name, -1
	fmt.Fprintf(p.w, "[%d/%d] %s\n", n, total, name)
}

// Bytes prints at 0, 10, 20 ... 100 percent.
func (p *Plain) Bytes(done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if total <= 0 {
		return
	}
	pct := done * 100 / total / 10 * 10
	if pct == p.lastPct {
		return
	}
	p.lastPct = pct
	fmt.Fprintf(p.w, "%s: %d%% (%s of %s)\n", p.step, pct, human(done), human(total))
}

// Info prints msg.
func (p *Plain) Info(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintln(p.w, msg)
}

// Done prints nothing: the caller prints the outcome.
func (p *Plain) Done(error, string) {}

// Event is one line of --json output.
type Event struct {
	Event   string `json:"event"` // step, bytes, info, error, done
	N       int    `json:"n,omitempty"`
	Total   int    `json:"total,omitempty"`
	Name    string `json:"name,omitempty"`
	Done    int64  `json:"done,omitempty"`
	Bytes   int64  `json:"bytes_total,omitempty"`
	Message string `json:"message,omitempty"`
	Class   string `json:"class,omitempty"`
	Time    string `json:"time"`
}

// JSON writes one Event per line.
type JSON struct {
	mu      sync.Mutex
	enc     *json.Encoder
	lastPct int64
	now     func() time.Time
}

// NewJSON writes events to w.
func NewJSON(w io.Writer) *JSON { return &JSON{enc: json.NewEncoder(w), now: time.Now} }

func (j *JSON) emit(e Event) {
	j.mu.Lock()
	defer j.mu.Unlock()
	e.Time = j.now().UTC().Format(time.RFC3339Nano)
	j.enc.Encode(e)
}

// Step emits {"event":"step"}.
func (j *JSON) Step(n, total int, name string) {
	j.lastPct = -1
	j.emit(Event{Event: "step", N: n, Total: total, Name: name})
}

// Bytes emits {"event":"bytes"} at each whole percent.
func (j *JSON) Bytes(done, total int64) {
	if total > 0 {
		pct := done * 100 / total
		if pct == j.lastPct {
			return
		}
		j.lastPct = pct
	}
	j.emit(Event{Event: "bytes", Done: done, Bytes: total})
}

// Info emits {"event":"info"}.
func (j *JSON) Info(msg string) { j.emit(Event{Event: "info", Message: msg}) }

// Done emits {"event":"done"} or {"event":"error"}.
func (j *JSON) Done(err error, class string) {
	if err != nil {
		j.emit(Event{Event: "error", Message: err.Error(), Class: class})
		return
	}
	j.emit(Event{Event: "done"})
}
