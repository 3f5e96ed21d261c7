package live

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/altcos/altcos-tools/bootmenu"
)

func TestConsoles(t *testing.T) {
	// The ISO menu's entries, as GRUB passes them.
	menu, err := bootmenu.ISO(bootmenu.ISOOptions{Firmware: bootmenu.BIOS, Label: "ALTCOS-X"})
	if err != nil {
		t.Fatal(err)
	}
	entry := func(id string) string {
		for _, e := range menu.Entries {
			if e.ID == id {
				return "BOOT_IMAGE=/boot/vmlinuz " + strings.Join(e.Args, " ")
			}
		}
		t.Fatalf("the ISO menu has no entry %q", id)
		return ""
	}
	for _, tt := range []struct {
		name, cmdline, active string
		want, ttys            []string
	}{
		{"ISO default entry", entry("install"), "", []string{"ttyS0", "tty0"}, []string{"/dev/console", "/dev/ttyS0"}},
		{"ISO serial entry", entry("install-serial"), "", []string{"tty0", "ttyS0"}, []string{"/dev/console", "/dev/tty0"}},
		{"PXE", "console=ttyS0,115200n8 altcos.inst.install_dev=/dev/vda", "", []string{"ttyS0"}, []string{"/dev/console"}},
		{"none", "quiet", "", nil, []string{"/dev/console"}},
		{"named twice: the last place counts", "console=ttyS0 console=tty0 console=ttyS0,115200", "", []string{"tty0", "ttyS0"}, []string{"/dev/console", "/dev/tty0"}},
		{"device paths", "console=/dev/ttyS1,9600 console=hvc0", "", []string{"ttyS1", "hvc0"}, []string{"/dev/console", "/dev/ttyS1"}},
		// The kernel's list wins: an early console named by its driver is
		// ttyS0 there, a console that did not register is not.
		{"kernel's list", "console=uart8250,io,0x3f8,115200 console=ttyS3 console=tty0", "ttyS0 tty0\n", []string{"ttyS0", "tty0"}, []string{"/dev/console", "/dev/ttyS0"}},
		{"kernel's list empty", "console=ttyS0", "\n", []string{"ttyS0"}, []string{"/dev/console"}},
	} {
		root := t.TempDir()
		if tt.active != "" {
			p := filepath.Join(root, activeConsoles)
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, []byte(tt.active), 0o644)
		}
		got := Consoles(root, tt.cmdline)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Consoles(%q, active %q) = %q, want %q", tt.name, tt.cmdline, tt.active, got, tt.want)
		}
		if ttys := ShellTTYs(got); !reflect.DeepEqual(ttys, tt.ttys) {
			t.Errorf("%s: ShellTTYs(%q) = %q, want %q", tt.name, got, ttys, tt.ttys)
		}
	}
}

// fakeShells scripts shells.supervise: each wait returns the next exit of
// exits (a tty's shell, "orphan" or "eintr"), each after the given time.
type fakeShells struct {
	now     time.Time
	started []string
	pids    map[int]string
	next    int
	fail    map[string]bool
	slept   []time.Duration
	banner  bytes.Buffer
}

type exit struct {
	tty   string
	after time.Duration
}

func (f *fakeShells) run(t *testing.T, ttys []string, exits []exit) {
	t.Helper()
	f.pids = map[int]string{}
	s := shells{
		start: func(tty string) (int, error) {
			f.started = append(f.started, tty)
			if f.fail[tty] {
				return 0, errors.New("input/output error")
			}
			f.next++
			f.pids[f.next] = tty
			return f.next, nil
		},
		wait: func() (int, error) {
			if len(exits) == 0 {
				return 0, errors.New("no child processes")
			}
			e := exits[0]
			exits = exits[1:]
			f.now = f.now.Add(e.after)
			switch e.tty {
			case "eintr":
				return 0, errRetry
			case "orphan":
				return 9999, nil
			}
			for pid, tty := range f.pids {
				if tty == e.tty {
					delete(f.pids, pid)
					return pid, nil
				}
			}
			t.Fatalf("no shell runs on %s to exit", e.tty)
			return 0, nil
		},
		sleep:  func(d time.Duration) { f.slept = append(f.slept, d); f.now = f.now.Add(d) },
		now:    func() time.Time { return f.now },
		banner: &f.banner,
	}
	if err := s.supervise(ttys); err == nil || err.Error() != "no child processes" {
		t.Fatalf("supervise = %v, want the wait's error", err)
	}
}

func TestShellsOnEveryConsole(t *testing.T) {
	ttys := []string{"/dev/console", "/dev/ttyS0"}
	t.Run("one shell each, a new one where one exits", func(t *testing.T) {
		f := &fakeShells{}
		f.run(t, ttys, []exit{{"/dev/ttyS0", time.Minute}, {"orphan", time.Second}, {"eintr", 0}, {"/dev/console", time.Minute}})
		if want := []string{"/dev/console", "/dev/ttyS0", "/dev/ttyS0", "/dev/console"}; !reflect.DeepEqual(f.started, want) {
			t.Errorf("shells started on %q, want %q", f.started, want)
		}
		if len(f.slept) != 0 || !strings.Contains(f.banner.String(), "the shell on /dev/ttyS0 exited; starting a new one") {
			t.Errorf("slept %v, printed %q; want no pause and the restart said", f.slept, f.banner.String())
		}
	})
	t.Run("a console without its hardware is left alone", func(t *testing.T) {
		f := &fakeShells{fail: map[string]bool{"/dev/ttyS0": true}}
		f.run(t, ttys, []exit{{"/dev/console", time.Minute}})
		if want := []string{"/dev/console", "/dev/ttyS0", "/dev/console"}; !reflect.DeepEqual(f.started, want) {
			t.Errorf("shells started on %q, want %q", f.started, want)
		}
		if got := f.banner.String(); strings.Count(got, "no shell on /dev/ttyS0: input/output error") != 1 {
			t.Errorf("printed %q, want the failed console named once", got)
		}
	})
	t.Run("a line that hangs up at once is given up; /dev/console never", func(t *testing.T) {
		f := &fakeShells{}
		s, c := exit{"/dev/ttyS0", 0}, exit{"/dev/console", 0}
		f.run(t, ttys, []exit{s, c, s, c, s, c, c})
		if n := strings.Count(strings.Join(f.started, " "), "/dev/ttyS0"); n != quickExits {
			t.Errorf("shells started on ttyS0 %d times, want %d (then given up): %q", n, quickExits, f.started)
		}
		if n := strings.Count(strings.Join(f.started, " "), "/dev/console"); n != 5 {
			t.Errorf("shells started on /dev/console %d times, want 5 (every exit): %q", n, f.started)
		}
		if !strings.Contains(f.banner.String(), "the shell on /dev/ttyS0 exited at once 3 times; no more shells there") {
			t.Errorf("printed %q, want the given-up console named", f.banner.String())
		}
		for _, d := range f.slept {
			if d != quickExit {
				t.Errorf("slept %v between quick restarts, want %v", d, quickExit)
			}
		}
	})
	t.Run("/dev/console is retried until its shell starts", func(t *testing.T) {
		f := &fakeShells{}
		calls := 0
		s := shells{
			start: func(tty string) (int, error) {
				if calls++; calls < 3 {
					return 0, errors.New("no such device")
				}
				return 1, nil
			},
			wait:   func() (int, error) { return 0, errors.New("done") },
			sleep:  func(d time.Duration) { f.slept = append(f.slept, d) },
			now:    time.Now,
			banner: &f.banner,
		}
		s.supervise([]string{"/dev/console"})
		if calls != 3 || !reflect.DeepEqual(f.slept, []time.Duration{retryStart, retryStart}) {
			t.Errorf("started %d times, slept %v; want 3 starts with %v between", calls, f.slept, retryStart)
		}
	})
}
