package live

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/altcos/altcos-tools/installer/kargs"
)

// activeConsoles is the kernel's list of the consoles it writes to, by tty
// name, the one behind /dev/console last (Documentation/ABI/testing/
// sysfs-tty); systemd's getty generator reads it too.
const activeConsoles = "/sys/class/tty/console/active"

// Consoles returns the tty names (ttyS0, tty0, hvc0) of the consoles the
// live system talks on, each once, the one behind /dev/console last: the
// kernel's list of active consoles, or, without one, the console= arguments
// of cmdline (the kernel makes the last one /dev/console; a console named
// twice counts where it is named last, as in the kernel).
func Consoles(root, cmdline string) []string {
	if data, err := os.ReadFile(filepath.Join(root, activeConsoles)); err == nil {
		if names := lastOnce(strings.Fields(string(data))); len(names) > 0 {
			return names
		}
	}
	args, _ := kargs.Parse(cmdline)
	var names []string
	for _, a := range args {
		if a.Key != "console" || !a.HasValue {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(a.Value, "/dev/"), ",")
		if name != "" && !strings.Contains(name, "/") {
			names = append(names, name)
		}
	}
	return lastOnce(names)
}

// lastOnce keeps each name once, at its last place.
func lastOnce(names []string) []string {
	var out []string
	for i, n := range names {
		again := false
		for _, m := range names[i+1:] {
			again = again || m == n
		}
		if !again {
			out = append(out, n)
		}
	}
	return out
}

// ShellTTYs are the terminals that get a shell: /dev/console (the last of
// consoles, or the kernel's default when there is none), then /dev/NAME of
// every other console. So the ISO's default entry (console=ttyS0
// console=tty0) answers on the serial line as on the screen.
func ShellTTYs(consoles []string) []string {
	ttys := []string{"/dev/console"}
	for i, c := range consoles {
		if i < len(consoles)-1 {
			ttys = append(ttys, "/dev/"+c)
		}
	}
	return ttys
}

// shells keeps a shell on each of a list of terminals; the system calls are
// fields so that tests drive it.
type shells struct {
	// start starts a shell on tty and returns its process ID.
	start func(tty string) (int, error)
	// wait reaps any child process and returns its ID; an error other than
	// errRetry ends supervise.
	wait func() (int, error)
	// sleep pauses before a shell is started again.
	sleep  func(time.Duration)
	now    func() time.Time
	banner io.Writer
}

// errRetry is an interrupted wait (EINTR).
var errRetry = fmt.Errorf("interrupted")

// Give-up rules: a terminal other than /dev/console whose shell cannot start
// or dies at once quickExits times in a row (a console= without the
// hardware, a line that hangs up) is left alone; /dev/console always gets a
// new shell.
const (
	quickExit  = 2 * time.Second
	quickExits = 3
	retryStart = 5 * time.Second
)

// supervise starts a shell on every tty, then reaps every process (the duty
// of PID 1) and starts a new shell where one exited. It returns only when
// wait fails.
func (s shells) supervise(ttys []string) error {
	type term struct {
		tty     string
		started time.Time
		quick   int
	}
	running := map[int]*term{}
	launch := func(t *term) {
		for {
			pid, err := s.start(t.tty)
			if err == nil {
				t.started = s.now()
				running[pid] = t
				return
			}
			if t.tty != "/dev/console" {
				fmt.Fprintf(s.banner, "altcos-live: no shell on %s: %v\n", t.tty, err)
				return
			}
			fmt.Fprintf(s.banner, "altcos-live: start a shell on %s: %v; retrying in %s\n", t.tty, err, retryStart)
			s.sleep(retryStart)
		}
	}
	for _, tty := range ttys {
		launch(&term{tty: tty})
	}
	for {
		pid, err := s.wait()
		if err == errRetry {
			continue
		}
		if err != nil {
			return err
		}
		t, ok := running[pid]
		if !ok {
			continue // an orphan reaped
		}
		delete(running, pid)
		t.quick++
		if s.now().Sub(t.started) >= quickExit {
			t.quick = 0
		}
		if t.quick >= quickExits && t.tty != "/dev/console" {
			fmt.Fprintf(s.banner, "altcos-live: the shell on %s exited at once %d times; no more shells there\n", t.tty, t.quick)
			continue
		}
		if t.quick > 0 {
			s.sleep(quickExit) // a shell that cannot start must not spin
		}
		fmt.Fprintf(s.banner, "\naltcos-live: the shell on %s exited; starting a new one (reboot with: shutdown -r)\n", t.tty)
		launch(t)
	}
}
