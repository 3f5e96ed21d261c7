package prompt

import (
	"strings"
	"testing"
	"time"

	"github.com/altcos/altcos-tools/internal/testkit/ptytest"
)

// onPTY runs fn with a pseudo-terminal as its terminal (and as file
// descriptor 0), typing keys into it, and returns what was drawn.
func onPTY(t *testing.T, label string, keys []string, fn func(term *Terminal)) string {
	t.Helper()
	con := ptytest.Open(t)
	con.SetSize(0, 0) // a serial console reports 0x0
	go func() {
		// Type only once the prompt has drawn and had a moment to enter raw
		// mode; this paces the typist, nothing is asserted on time.
		con.WaitFor(label, 200)
		for _, k := range keys {
			time.Sleep(100 * time.Millisecond)
			con.Type(k)
		}
	}()
	fn(&Terminal{In: con.TTY, Out: con.TTY})
	time.Sleep(50 * time.Millisecond)
	return con.Screen()
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
