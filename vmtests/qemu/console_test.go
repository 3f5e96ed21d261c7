package qemu

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestConsoleExpect(t *testing.T) {
	ctx := context.Background()
	c, err := newConsole(filepath.Join(t.TempDir(), "c.log"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("SeaBIOS\r\nlogin: "))
	m, err := c.Expect(ctx, time.Second, []string{"login: "}, []string{"Kernel panic"})
	if err != nil || m.Found != "login: " || m.Before != "SeaBIOS\r\n" {
		t.Fatalf("Expect(login) = %+v, %v, want found after SeaBIOS", m, err)
	}
	// The cursor moved: the same text does not match twice.
	if _, err := c.Expect(ctx, 50*time.Millisecond, []string{"login: "}, nil); !errors.Is(err, ErrTimeout) {
		t.Fatalf("second Expect(login) = %v, want ErrTimeout", err)
	}
	// Output that arrives later, in pieces, across the search boundary.
	go func() {
		time.Sleep(20 * time.Millisecond)
		c.Write([]byte("<<e1:"))
		time.Sleep(20 * time.Millisecond)
		c.Write([]byte("0>>"))
	}()
	if m, err := c.Expect(ctx, 2*time.Second, []string{"<<e1:0>>"}, nil); err != nil || m.Found != "<<e1:0>>" {
		t.Fatalf("Expect(split marker) = %+v, %v", m, err)
	}
	// A failure string ends the wait at once.
	c.Write([]byte("installer: error: disk /dev/nonexistent not found\n"))
	if _, err := c.Expect(ctx, time.Minute, []string{"Installed"}, []string{"error:"}); err == nil || !strings.Contains(err.Error(), `"error:"`) {
		t.Fatalf("Expect with failure = %v, want error naming the failure string", err)
	}
	c.closeOutput()
	if _, err := c.Expect(ctx, time.Minute, []string{"never shown"}, nil); !errors.Is(err, errExited) {
		t.Fatalf("Expect after exit = %v, want errExited", err)
	}
}

func TestTail(t *testing.T) {
	in := "\x1b[2J\x1b[0mline1\r\nline2\r\n\x1b[?7lline3\r\n"
	if got, want := Tail(in, 2), "line2\nline3"; got != want {
		t.Errorf("Tail(%q, 2) = %q, want %q", in, got, want)
	}
}
