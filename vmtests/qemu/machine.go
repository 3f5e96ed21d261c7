package qemu

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/altcos/altcos-tools/internal/fsutil"
	"github.com/altcos/altcos-tools/internal/run"
)

// Machine is a running QEMU.
type Machine struct {
	Name    string
	Console *Console
	Cmdline string
	// Started is when QEMU started; Ended, once Exited, when it exited.
	Started, Ended time.Time

	cmd     *exec.Cmd
	stdin   io.WriteCloser
	cancel  context.CancelFunc
	done    chan struct{}
	waitErr error
	once    sync.Once
	closed  func(*Machine)
}

// Start starts a machine. Its console is drained all the time into memory and
// c.LogPath(); Close (or the test's cleanup) kills QEMU if it still runs.
func Start(ctx context.Context, log *slog.Logger, c Config) (*Machine, error) {
	if c.OutDir == "" {
		return nil, errors.New("machine config: no output folder for the console log")
	}
	if err := os.MkdirAll(c.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("machine %s: %w", c.Name, err)
	}
	args, err := c.Args()
	if err != nil {
		return nil, err
	}
	if c.Firmware.IsUEFI() && !fileExists(c.VarsPath()) {
		if err := copyFile(c.OVMFVars, c.VarsPath()); err != nil {
			return nil, fmt.Errorf("machine %s: copy UEFI variables: %w", c.Name, err)
		}
	}
	con, err := newConsole(c.LogPath(), c.Echo)
	if err != nil {
		return nil, fmt.Errorf("machine %s: %w", c.Name, err)
	}
	qemu := c.QEMU
	if qemu == "" {
		qemu = "qemu-system-x86_64"
	}
	argv := append([]string{run.Path(qemu)}, args...)
	var cctx context.Context
	var cancel context.CancelFunc
	if c.Timeout > 0 {
		cctx, cancel = context.WithTimeout(ctx, c.Timeout)
	} else {
		cctx, cancel = context.WithCancel(ctx)
	}
	cmd := exec.CommandContext(cctx, argv[0], argv[1:]...)
	cmd.Cancel = func() error { return cmd.Process.Kill() }
	// QEMU dies with the test process, even when that is killed: no
	// orphaned machine keeps a core busy.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 5 * time.Second
	cmd.Stdout = con
	cmd.Stderr = con
	stdin, err := cmd.StdinPipe()
	if err != nil {
		cancel()
		con.Close()
		return nil, err
	}
	m := &Machine{Name: c.Name, Console: con, Cmdline: run.Quote(argv, nil), cmd: cmd, stdin: stdin, cancel: cancel, done: make(chan struct{}), closed: c.Closed}
	if log != nil {
		log.Info("start machine", "name", c.Name, "cmd", m.Cmdline, "console", c.LogPath())
	}
	fmt.Fprintf(con.log, "# %s\n", m.Cmdline)
	m.Started = time.Now()
	if err := cmd.Start(); err != nil {
		cancel()
		con.Close()
		return nil, fmt.Errorf("start %s: %w", m.Cmdline, err)
	}
	go func() {
		err := cmd.Wait()
		m.waitErr, m.Ended = err, time.Now()
		con.closeOutput()
		close(m.done)
	}()
	return m, nil
}

// Expect waits for one of want on the console (see Console.Expect); a failure
// carries the console's tail.
func (m *Machine) Expect(ctx context.Context, step string, timeout time.Duration, want []string, fail ...string) (Match, error) {
	r, err := m.Console.Expect(ctx, timeout, want, fail)
	if err != nil && r.Found != "" {
		// A failure marker: its context, not whatever followed it.
		m.Settle(time.Second, 5*time.Second)
		return r, &consoleError{Machine: m.Name, Step: step, Err: err, Log: m.Console.LogPath(), Tail: m.Console.tailAtCursor(tailLines, 12)}
	}
	if err != nil {
		return r, m.Fail(step, err)
	}
	return r, nil
}

// Fail wraps err as a consoleError of this machine. It first lets the console
// settle (until a second passes without output, at most five), so that the
// lines explaining a failure, printed just after its marker, are in the tail.
func (m *Machine) Fail(step string, err error) error {
	m.Settle(time.Second, 5*time.Second)
	return &consoleError{Machine: m.Name, Step: step, Err: err, Log: m.Console.LogPath(), Tail: m.Console.Tail(tailLines)}
}

// Settle waits until the console has been quiet for quiet, at most most (or
// until the machine exits): a screen an operator would read is then drawn.
func (m *Machine) Settle(quiet, most time.Duration) {
	end := time.Now().Add(most)
	n := len(m.Console.Output())
	for time.Now().Before(end) && !m.Exited() {
		time.Sleep(quiet)
		l := len(m.Console.Output())
		if l == n {
			return
		}
		n = l
	}
}

// Send types s on the serial console.
func (m *Machine) Send(s string) error {
	_, err := io.WriteString(m.stdin, s)
	if err != nil {
		return fmt.Errorf("machine %s: send to console: %w", m.Name, err)
	}
	return nil
}

// SendLine types s and Enter. Enter is a carriage return, as a terminal
// sends it: raw-mode line editors (promptui, the live shell's editor) take
// only that, and a cooked tty turns it into a newline.
func (m *Machine) SendLine(s string) error { return m.Send(s + "\r") }

// Wait waits at most timeout for QEMU to exit by itself (a poweroff, or a
// reboot with NoReboot) and returns its exit error.
func (m *Machine) Wait(ctx context.Context, timeout time.Duration) error {
	select {
	case <-m.done:
		return m.waitErr
	case <-time.After(timeout):
		return m.Fail("wait for the machine to stop", fmt.Errorf("still running after %s: %w", timeout, ErrTimeout))
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Exited reports whether QEMU has exited.
func (m *Machine) Exited() bool {
	select {
	case <-m.done:
		return true
	default:
		return false
	}
}

// Kill stops QEMU at once, like pulling the power cord, and waits for it.
func (m *Machine) Kill() {
	if !m.Exited() && m.cmd.Process != nil {
		_ = m.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-m.done
}

// Close kills QEMU if it still runs and closes the console log.
func (m *Machine) Close() {
	m.once.Do(func() {
		m.Kill()
		m.cancel()
		_ = m.stdin.Close()
		_ = m.Console.Close()
		if m.closed != nil {
			m.closed(m)
		}
	})
}

// consoleError is a failed step of a machine, with what its console said.
type consoleError struct {
	Machine string
	Step    string
	Err     error
	Log     string // the whole console log
	Tail    string
}

func (e *consoleError) Error() string {
	return fmt.Sprintf("machine %s: %s: %v\nconsole log: %s\n----- console tail (%d lines) -----\n%s\n----- end of console tail -----",
		e.Machine, e.Step, e.Err, e.Log, tailLines, e.Tail)
}

func (e *consoleError) Unwrap() error { return e.Err }

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return fsutil.WriteAtomic(dst, 0o644, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
}
