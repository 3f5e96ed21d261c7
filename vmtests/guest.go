package vmtests

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/altcos/altcos-tools/vmtests/qemu"
)

// shell is a logged-in shell on a machine's serial console. Commands are
// framed by markers that the typed text cannot contain (the shell joins
// '<<”b1>>' into <<b1>>), so their output and exit status are read back
// exactly even with echo and kernel messages around them.
type shell struct {
	m *qemu.Machine
	n int
}

// login waits for the getty's login prompt and logs in as user. A wrong
// password fails at once with the console tail.
func login(ctx context.Context, m *qemu.Machine, user, password string, bootTimeout time.Duration) (*shell, error) {
	if _, err := m.Expect(ctx, "wait for the login prompt", bootTimeout, []string{"login: "}, bootFailures...); err != nil {
		return nil, err
	}
	// The getty may print the prompt before it reads; a short pause avoids
	// typing into a terminal that is still being set up.
	time.Sleep(time.Second)
	if err := m.SendLine(user); err != nil {
		return nil, err
	}
	if _, err := m.Expect(ctx, "wait for the password prompt", 60*time.Second, []string{"assword: "}); err != nil {
		return nil, err
	}
	if err := m.SendLine(password); err != nil {
		return nil, err
	}
	s := &shell{m: m}
	// The session starts behind the boot's own work (dockerd, podman,
	// AppArmor profiles): on a loaded CI machine that took over 90 s.
	if _, err := m.Expect(ctx, "log in as "+user, commandTimeout, []string{"# ", "$ "}, "login incorrect"); err != nil {
		return nil, err
	}
	// No echo: the console log then shows commands' output only once. No
	// kernel messages on the console but emergencies (among them the
	// kernel's "reboot: Restarting system" and "Power down", which the
	// tests wait for): a message from a service still starting (AppArmor's
	// audit lines as dockerd loads its profile) would land in the middle of
	// a command's output. The boot's own messages are in the log already.
	if _, _, err := s.Run(ctx, "stty -echo; dmesg -n 1 2>/dev/null", 60*time.Second); err != nil {
		return nil, err
	}
	return s, nil
}

// consoleSilence is how long a booting disk may print nothing at all on the
// serial console before the test gives up on it.
const consoleSilence = 4 * time.Minute

// waitForConsole fails when the machine prints nothing for consoleSilence:
// an installed system whose GRUB and kernel do not use the serial port
// (no console=ttyS0) would otherwise be waited for until the boot deadline.
func waitForConsole(ctx context.Context, m *qemu.Machine) error {
	if _, err := m.Console.Expect(ctx, consoleSilence, []string{"\n"}, nil); err != nil {
		return m.Fail("wait for output on the serial console", fmt.Errorf("%w: nothing in %s; the installed system needs console=ttyS0 in its kernel arguments (and GRUB a serial terminal)", err, consoleSilence))
	}
	return nil
}

// bootAndLogin starts the machine of cfg, waits for its serial console and
// logs in as user within bootTimeout: the checks' shell. The caller closes
// the machine (also when only the login failed).
func bootAndLogin(ctx context.Context, env *Env, cfg qemu.Config, user, password string, bootTimeout time.Duration) (*qemu.Machine, *checks, error) {
	m, err := qemu.Start(ctx, env.Log, cfg)
	if err != nil {
		return nil, nil, err
	}
	if err := waitForConsole(ctx, m); err != nil {
		return m, nil, err
	}
	sh, err := login(ctx, m, user, password, bootTimeout)
	if err != nil {
		return m, nil, err
	}
	return m, &checks{m: m, sh: sh}, nil
}

// guestNIC is the installed system's network interface in a shell command:
// the first with a device behind it (not lo, nor the bridges and veths
// dockerd and podman add, which may sort before it).
const guestNIC = `$(basename "$(dirname "$(ls -d /sys/class/net/*/device | head -n1)")")`

// bootFailures end a boot wait at once.
var bootFailures = []string{"Kernel panic", "emergency mode", "dracut Warning: Could not boot", "No bootable device", "grub rescue>"}

// Run runs cmd in the shell and returns its output (CRLF made LF, trimmed)
// and exit status.
func (s *shell) Run(ctx context.Context, cmd string, timeout time.Duration) (string, int, error) {
	s.n++
	b := fmt.Sprintf("<<b%d>>", s.n)
	e := fmt.Sprintf("<<e%d:", s.n)
	line := fmt.Sprintf("echo '<<''b%d>>'; %s; echo '<<''e%d:'$?'>>'", s.n, cmd, s.n)
	if err := s.m.SendLine(line); err != nil {
		return "", 0, err
	}
	step := "run " + firstLine(cmd)
	if _, err := s.m.Expect(ctx, step, timeout, []string{b}); err != nil {
		return "", 0, err
	}
	out, err := s.m.Expect(ctx, step, timeout, []string{e})
	if err != nil {
		return "", 0, err
	}
	st, err := s.m.Expect(ctx, step, 10*time.Second, []string{">>"})
	if err != nil {
		return "", 0, err
	}
	code, err := strconv.Atoi(strings.TrimSpace(st.Before))
	if err != nil {
		return "", 0, s.m.Fail(step, fmt.Errorf("exit status %q is not a number", st.Before))
	}
	text := strings.ReplaceAll(out.Before, "\r", "")
	return strings.Trim(text, "\n"), code, nil
}

// mustRun runs cmd and fails unless it exits 0.
func (s *shell) mustRun(ctx context.Context, cmd string, timeout time.Duration) (string, error) {
	out, code, err := s.Run(ctx, cmd, timeout)
	if err != nil {
		return out, err
	}
	if code != 0 {
		return out, s.m.Fail("run "+firstLine(cmd), fmt.Errorf("exit status %d; output:\n%s", code, out))
	}
	return out, nil
}
