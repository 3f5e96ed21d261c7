// Package run is the one place the project starts external programs (ostree,
// mkfs.*, grub-mkimage, mmdebstrap, qemu-img, xorriso, ...). Every command is
// built as an argv by the caller, logged quoted, and a failure carries the
// command line and a bounded tail of its stderr so that it explains itself.
package run

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
)

// TailBytes bounds how much of a failing command's stderr goes into its error.
const TailBytes = 2048

// Cmd is one external command to run.
type Cmd struct {
	Argv []string // Argv[0] is a tool name resolved with Path, or a path
	Dir  string
	Env  []string // added to the process environment
	// Stdin, Stdout and Stderr are optional; stderr is always captured for the error.
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Redact lists argv values that must never appear in logs or errors
	// (passwords, hashes, URLs with credentials); they are shown as "<redacted>".
	Redact []string
}

// Error is returned when a command starts but fails.
type Error struct {
	Cmdline  string
	ExitCode int
	Stderr   string // bounded tail
	Err      error
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("%s: %v", e.Cmdline, e.Err)
	if s := strings.TrimSpace(e.Stderr); s != "" {
		msg += ": " + s
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Quote renders argv as a shell-like command line, hiding redacted values.
func Quote(argv []string, redact []string) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`|&;<>()*?[]#~") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts[i] = a
	}
	line := strings.Join(parts, " ")
	for _, r := range redact {
		if r != "" {
			line = strings.ReplaceAll(line, r, "<redacted>")
		}
	}
	return line
}

// tailWriter keeps the last n bytes written to it.
type tailWriter struct {
	n   int
	buf []byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.n {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-t.n:]...)
	}
	return len(p), nil
}

// Run runs c, logging the quoted command at debug level.
func Run(ctx context.Context, log *slog.Logger, c Cmd) error {
	if len(c.Argv) == 0 {
		return errors.New("run: empty command")
	}
	argv := append([]string{Path(c.Argv[0])}, c.Argv[1:]...)
	line := Quote(argv, c.Redact)
	if log != nil {
		log.Debug("run", "cmd", line)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = c.Dir
	if len(c.Env) > 0 {
		cmd.Env = append(os.Environ(), c.Env...)
	}
	cmd.Stdin = c.Stdin
	cmd.Stdout = c.Stdout
	tail := &tailWriter{n: TailBytes}
	if c.Stderr != nil {
		cmd.Stderr = io.MultiWriter(c.Stderr, tail)
	} else {
		cmd.Stderr = tail
	}
	if err := cmd.Run(); err != nil {
		code := -1
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		stderr := string(tail.buf)
		for _, r := range c.Redact {
			if r != "" {
				stderr = strings.ReplaceAll(stderr, r, "<redacted>")
			}
		}
		return &Error{Cmdline: line, ExitCode: code, Stderr: stderr, Err: err}
	}
	return nil
}

// Output runs c and returns its standard output.
func Output(ctx context.Context, log *slog.Logger, c Cmd) ([]byte, error) {
	var out bytes.Buffer
	c.Stdout = &out
	err := Run(ctx, log, c)
	return out.Bytes(), err
}
