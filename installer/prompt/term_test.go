package prompt

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// onPTY runs fn with a pseudo-terminal as its terminal (and as file
// descriptor 0), typing keys into it, and returns what was drawn.
func onPTY(t *testing.T, label string, keys []string, fn func(term *Terminal)) string {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	pty.Setsize(ptmx, &pty.Winsize{Rows: 0, Cols: 0}) // a serial console reports 0x0
	// The line editor under promptui switches file descriptor 0 to raw mode
	// (no echo) when it is a terminal, as it is in the live system: make it one.
	saved, err := unix.Dup(0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Dup2(int(tty.Fd()), 0); err != nil {
		t.Fatal(err)
	}
	defer func() { unix.Dup2(saved, 0); unix.Close(saved) }()
	var mu sync.Mutex
	var drawn bytes.Buffer
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			mu.Lock()
			drawn.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	go func() {
		// Type only once the prompt has drawn and had a moment to enter raw
		// mode; this paces the typist, nothing is asserted on time.
		for i := 0; i < 200; i++ {
			mu.Lock()
			ready := strings.Contains(drawn.String(), label)
			mu.Unlock()
			if ready {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		for _, k := range keys {
			time.Sleep(100 * time.Millisecond)
			io.WriteString(ptmx, k)
		}
	}()
	fn(&Terminal{In: tty, Out: tty})
	time.Sleep(50 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	return drawn.String()
}

func TestTerminalSelect(t *testing.T) {
	var got int
	var err error
	onPTY(t, "which disk", []string{"\x1b[B", "\x1b[B", "\r"}, func(term *Terminal) {
		got, err = term.Select("Install ALTCOS on which disk?", []string{"/dev/vda 20G", "/dev/vdb 40G", "/dev/vdc 60G"})
	})
	if err != nil || got != 2 {
		t.Errorf("Select(down, down, enter) = %d, %v, want 2", got, err)
	}
}

func TestTerminalConfirm(t *testing.T) {
	for keys, want := range map[string]bool{"y\r": true, "n\r": false, "\r": false, "yes\r": true} {
		var got bool
		var err error
		onPTY(t, "Wipe", []string{keys}, func(term *Terminal) { got, err = term.Confirm("Wipe /dev/vda?") })
		if err != nil || got != want {
			t.Errorf("Confirm(%q) = %v, %v, want %v", keys, got, err, want)
		}
	}
}

func TestTerminalPasswordNoEcho(t *testing.T) {
	var got string
	var err error
	drawn := onPTY(t, "Root password", []string{"hunter2\r"}, func(term *Terminal) { got, err = term.Password("Root password") })
	if err != nil || got != "hunter2" {
		t.Errorf("Password = %q, %v, want hunter2", got, err)
	}
	if strings.Contains(drawn, "hunter2") {
		t.Errorf("Password echoed the password: %q", drawn)
	}
}
