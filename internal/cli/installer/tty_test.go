package installercli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/altcos/altcos-tools/internal/stdio"
	"github.com/altcos/altcos-tools/internal/testkit/ptytest"
)

// TestInteractiveTerminal runs install without a disk on a pseudo-terminal:
// the terminal prompts (promptui) ask for the disk, the Ignition source and
// the password twice, and the answers reach the plan; the password is not echoed.
func TestInteractiveTerminal(t *testing.T) {
	con := ptytest.Open(t)
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
		for _, s := range script {
			con.WaitFor(s.label, 500)
			time.Sleep(150 * time.Millisecond) // let the prompt enter raw mode
			con.Type(s.keys)
		}
	}()
	var errb bytes.Buffer
	err := Run(context.Background(), append(e.base(), "--sysroot", fakePC, "--dry-run"), stdio.Stdio{In: con.TTY, Out: con.TTY, Err: &errb})
	code := stdio.Report(&errb, "altcos-installer", err)
	time.Sleep(100 * time.Millisecond)
	out := con.Screen()
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
