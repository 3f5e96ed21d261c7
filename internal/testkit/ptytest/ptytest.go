// Package ptytest gives a test a pseudo-terminal as its controlling input,
// the way the installer meets the live system's console: the terminal side
// becomes file descriptor 0 (the line editor under promptui switches it to raw
// mode), and what is drawn on it is collected for the test to read.
package ptytest

import (
	"bytes"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// Console is an open pseudo-terminal: TTY is the program's side, and what
// the program draws on it accumulates in Screen.
type Console struct {
	TTY  *os.File
	ptmx *os.File

	mu     sync.Mutex
	screen bytes.Buffer
	seen   int // how far WaitFor has read Screen
}

// Open opens a pseudo-terminal, makes its terminal side file descriptor 0
// until the test ends, and starts collecting what is drawn. It skips t when
// the machine has no pseudo-terminals.
func Open(t *testing.T) *Console {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { ptmx.Close(); tty.Close() })
	saved, err := unix.Dup(0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Dup2(int(tty.Fd()), 0); err != nil {
		unix.Close(saved)
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Dup2(saved, 0); unix.Close(saved) })
	c := &Console{TTY: tty, ptmx: ptmx}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			c.mu.Lock()
			c.screen.Write(buf[:n])
			c.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return c
}

// SetSize sets the terminal's size; 0x0 is what a serial console reports.
func (c *Console) SetSize(rows, cols uint16) {
	pty.Setsize(c.ptmx, &pty.Winsize{Rows: rows, Cols: cols})
}

// Screen returns all that has been drawn so far.
func (c *Console) Screen() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.screen.String()
}

// WaitFor waits, up to tries times 10ms, for label to be drawn after what an
// earlier WaitFor found, and reports whether it was. It paces a typist;
// nothing should be asserted on time.
func (c *Console) WaitFor(label string, tries int) bool {
	for i := 0; i < tries; i++ {
		c.mu.Lock()
		at := strings.Index(c.screen.String()[c.seen:], label)
		if at >= 0 {
			c.seen += at + len(label)
		}
		c.mu.Unlock()
		if at >= 0 {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

// Type writes keys as if typed on the terminal.
func (c *Console) Type(keys string) { io.WriteString(c.ptmx, keys) }
