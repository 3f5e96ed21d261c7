package installercli

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/altcos/altcos-tools/internal/stdio"
	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// TestInteractiveTerminal runs install without a disk on a pseudo-terminal:
// the terminal prompts (promptui) ask for the disk, the Ignition source and
// the password twice, and the answers reach the plan; the password is not echoed.
func TestInteractiveTerminal(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	// The line editor under promptui puts file descriptor 0 in raw mode when
	// it is a terminal, as on the live system's console.
	saved, err := unix.Dup(0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Dup2(int(tty.Fd()), 0); err != nil {
		t.Fatal(err)
	}
	defer func() { unix.Dup2(saved, 0); unix.Close(saved) }()

	var mu sync.Mutex
	var screen bytes.Buffer
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			mu.Lock()
			screen.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	e := newEnv(t)
	cfg := e.file(t, "c.ign", ign33)
	// Each answer is typed once its question is on the screen (pacing only).
	script := []struct{ label, keys string }{
		{"which disk", "\x1b[B\r"}, // the second usable disk: nvme0n1
		{"Ignition config (path or URL", cfg + "\r"},
		{"Root password (empty", "tty-secret\r"},
		{"Root password again", "tty-secret\r"},
	}
	go func() {
		seen := 0
		for _, s := range script {
			for i := 0; i < 500; i++ {
				mu.Lock()
				at := strings.Index(screen.String()[seen:], s.label)
				if at >= 0 {
					seen += at + len(s.label)
				}
				mu.Unlock()
				if at >= 0 {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			time.Sleep(150 * time.Millisecond) // let the prompt enter raw mode
			io.WriteString(ptmx, s.keys)
		}
	}()
	var errb bytes.Buffer
	err = Run(context.Background(), append(e.base(), "--sysroot", fakePC, "--dry-run"), stdio.Stdio{In: tty, Out: tty, Err: &errb})
	code := stdio.Report(&errb, "altcos-installer", err)
	time.Sleep(100 * time.Millisecond)
	mu.Lock()
	out := screen.String()
	mu.Unlock()
	for key, want := range map[string]string{"dest-device": "/dev/nvme0n1", "ignition-file": cfg, "root-password-hash": "(set, not shown)"} {
		v, o := planLine(t, strings.ReplaceAll(out, "\r\n", "\n"), key)
		if v != want || o != "prompt" {
			t.Errorf("plan %s = %q (%s), want %q (prompt)", key, v, o, want)
		}
	}
	if strings.Contains(out+errb.String(), "tty-secret") {
		t.Errorf("the password was echoed or printed")
	}
	// /dev/nvme0n1 of the fake tree does not exist on this machine: the
	// back half's size check ends the dry run after the questions.
	t.Logf("exit %d: %s", code, strings.TrimSpace(errb.String()))
}
