package qemu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"
)

// errExited is returned by an Expect when the machine stopped before the
// console showed what was expected.
var errExited = errors.New("machine exited")

// ErrTimeout is returned by an Expect whose step deadline passed.
var ErrTimeout = errors.New("timed out")

// tailLines is how many console lines a failure carries.
const tailLines = 40

// Console collects everything a machine writes on its serial console: the
// whole output stays in memory (an install prints a few hundred KiB at most)
// and goes to a log file as it arrives, so a failed test keeps the full log
// and can print its tail. Expect waits move a cursor over the output, so each
// wait only sees what came after the previous match.
type Console struct {
	mu     sync.Mutex
	buf    []byte
	pos    int // the expect cursor: output before it was consumed by a match
	closed bool
	notify chan struct{}
	// arrived holds, for each write, the output's length after it and
	// when it came: when a line showed up (When), for the phase times.
	arrived []stamp

	log  *os.File
	echo io.Writer
}

// newConsole returns a console that keeps its output in logPath (created or
// truncated) and, when echo is not nil, copies it there too (live progress).
func newConsole(logPath string, echo io.Writer) (*Console, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("create console log: %w", err)
	}
	return &Console{log: f, echo: echo, notify: make(chan struct{}, 1)}, nil
}

// Write appends machine output; it never blocks the machine on a slow reader.
func (c *Console) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.buf = append(c.buf, p...)
	c.arrived = append(c.arrived, stamp{end: len(c.buf), at: time.Now()})
	c.mu.Unlock()
	if c.log != nil {
		_, _ = c.log.Write(p)
	}
	if c.echo != nil {
		_, _ = c.echo.Write(p)
	}
	c.wake()
	return len(p), nil
}

func (c *Console) wake() {
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

// closeOutput marks the end of the output (the machine exited).
func (c *Console) closeOutput() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.wake()
}

// Close closes the log file.
func (c *Console) Close() error {
	if c.log == nil {
		return nil
	}
	err := c.log.Close()
	c.log = nil
	return err
}

// LogPath is the file holding the whole console output.
func (c *Console) LogPath() string {
	if c.log == nil {
		return ""
	}
	return c.log.Name()
}

// Output returns everything written so far.
func (c *Console) Output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return string(c.buf)
}

// stamp is when the output up to end had arrived.
type stamp struct {
	end int
	at  time.Time
}

// When finds text in the output at or after byte offset from and returns
// when it arrived (the time of the write that completed it) and the offset
// just after it; ok is false when the output does not hold it. It never
// moves the Expect cursor: phase times are read after the fact.
func (c *Console) When(text string, from int) (at time.Time, next int, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if from < 0 || from > len(c.buf) || text == "" {
		return time.Time{}, from, false
	}
	i := bytes.Index(c.buf[from:], []byte(text))
	if i < 0 {
		return time.Time{}, from, false
	}
	next = from + i + len(text)
	for _, s := range c.arrived {
		if s.end >= next {
			return s.at, next, true
		}
	}
	return time.Time{}, from, false
}

// Tail returns the last n lines of the output, with terminal control
// sequences removed so that it reads well in a test log.
func (c *Console) Tail(n int) string {
	return Tail(c.Output(), n)
}

// tailAtCursor returns the last n lines before the expect cursor and up to
// after lines following it: a failure marker's context, even when the machine
// printed much more afterwards (a panic trace).
func (c *Console) tailAtCursor(n, after int) string {
	c.mu.Lock()
	head, rest := string(c.buf[:c.pos]), string(c.buf[c.pos:])
	c.mu.Unlock()
	lines := strings.SplitAfterN(rest, "\n", after+1)
	if len(lines) > after {
		lines = lines[:after]
	}
	return Tail(head+strings.Join(lines, ""), n+after)
}

var ansiRE = regexp.MustCompile(`\x1b(\[[0-9;?]*[ -/]*[@-~]|[@-Z\\-_]|c)`)

// Tail returns the last n lines of console output s, cleaned of terminal
// control sequences and carriage returns.
func Tail(s string, n int) string {
	s = ansiRE.ReplaceAllString(s, "")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || r >= 0x20 && r != 0x7f {
			return r
		}
		return -1
	}, s)
	s = strings.TrimRight(s, "\n ")
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Match is the result of a successful Expect: the output between the cursor
// and the match, and which of the wanted strings matched.
type Match struct {
	Before string
	Found  string
}

// Expect waits until the output after the cursor contains one of want, at most
// timeout (a step deadline, not an idle timeout: a chatty boot does not extend
// it). The cursor then moves past the match. If one of fail shows up first,
// Expect returns an error naming it: a kernel panic or an installer error ends
// the wait at once instead of at the deadline.
func (c *Console) Expect(ctx context.Context, timeout time.Duration, want []string, fail []string) (Match, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	longest := 0
	for _, s := range append(append([]string(nil), want...), fail...) {
		longest = max(longest, len(s))
	}
	c.mu.Lock()
	from := c.pos // output before from (less a match's length) was searched already
	c.mu.Unlock()
	for {
		c.mu.Lock()
		start := max(c.pos, from-longest+1)
		m, failed, ok := scan(c.buf[start:], want, fail)
		var res Match
		if ok {
			res = Match{Before: string(c.buf[c.pos : start+m.at]), Found: m.found}
			c.pos = start + m.at + len(m.found)
		}
		from = len(c.buf)
		closed := c.closed
		c.mu.Unlock()
		switch {
		case ok && failed:
			return res, fmt.Errorf("console showed %q while waiting for %s", m.found, quoteList(want))
		case ok:
			return res, nil
		case closed:
			return Match{}, fmt.Errorf("waiting for %s: %w", quoteList(want), errExited)
		}
		select {
		case <-c.notify:
		case <-deadline.C:
			return Match{}, fmt.Errorf("waiting %s for %s: %w", timeout, quoteList(want), ErrTimeout)
		case <-ctx.Done():
			return Match{}, fmt.Errorf("waiting for %s: %w", quoteList(want), ctx.Err())
		}
	}
}

type scanResult struct {
	at    int
	found string
}

// scan finds the earliest occurrence in b of any string of want or fail; at
// the same offset a wanted string wins.
func scan(b []byte, want, fail []string) (r scanResult, failed, ok bool) {
	best := -1
	try := func(list []string, isFail bool) {
		for _, s := range list {
			if s == "" {
				continue
			}
			i := bytes.Index(b, []byte(s))
			if i >= 0 && (best < 0 || i < best || i == best && !isFail) {
				best = i
				r = scanResult{at: i, found: s}
				failed = isFail
			}
		}
	}
	try(fail, true)
	try(want, false)
	return r, failed, best >= 0
}

func quoteList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, " or ")
}
