package main

import (
	"bytes"
	"context"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
)

// The shipped systemd unit and the docs run this command with flags; these
// tests keep them from drifting apart. The test binary doubles as
// altcos-fleetlock (TestMain runs main when asked), so the flags are checked
// by the program the unit starts, whichever package its flags live in.

const (
	unitPath = "../../contrib/systemd/altcos-fleetlock.service"
	docsPath = "../../docs/fleetlock.md"
	asMain   = "ALTCOS_FLEETLOCK_TEST_MAIN"
)

func TestMain(m *testing.M) {
	if os.Getenv(asMain) == "1" {
		main()
	}
	os.Exit(m.Run())
}

// fleetlock runs the test binary as altcos-fleetlock.
func fleetlock(t *testing.T, args ...string) (string, error) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	err = run.Run(context.Background(), nil, run.Cmd{Argv: append([]string{exe}, args...), Env: []string{asMain + "=1"}, Stderr: &stderr})
	return stderr.String(), err
}

// usageRE matches a flag in the usage text: "  -name" and, for a flag that
// takes a value, " type".
var usageRE = regexp.MustCompile(`(?m)^  -(\S+)(?: (\S+))?(?:\t.*)?$`)

// knownFlags returns the command's flags from its -help text, each with
// whether it takes a value.
func knownFlags(t *testing.T) map[string]bool {
	t.Helper()
	usage, err := fleetlock(t, "-help")
	if err != nil {
		t.Fatalf("altcos-fleetlock -help = %v", err)
	}
	flags := map[string]bool{}
	for _, m := range usageRE.FindAllStringSubmatch(usage, -1) {
		flags[m[1]] = m[2] != ""
	}
	if len(flags) == 0 {
		t.Fatalf("no flags in the usage of altcos-fleetlock:\n%s", usage)
	}
	return flags
}

// commands returns the altcos-fleetlock command lines of a unit or of the
// fenced blocks of a Markdown file: ExecStart= lines, also commented
// examples, and shell lines, with backslash continuations joined.
func commands(text string, markdown bool) [][]string {
	clean := func(l string) string {
		l = strings.TrimLeft(strings.TrimSpace(l), "#")
		return strings.TrimPrefix(strings.TrimSpace(l), "ExecStart=")
	}
	var cmds [][]string
	fenced := false
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		if markdown && strings.HasPrefix(strings.TrimSpace(lines[i]), "```") {
			fenced = !fenced
			continue
		}
		if markdown && !fenced {
			continue
		}
		l := clean(lines[i])
		if f := strings.Fields(l); len(f) == 0 || path.Base(f[0]) != "altcos-fleetlock" {
			continue
		}
		for strings.HasSuffix(l, `\`) && i+1 < len(lines) {
			i++
			l = strings.TrimSuffix(l, `\`) + " " + clean(lines[i])
		}
		cmds = append(cmds, strings.Fields(l))
	}
	return cmds
}

// checkArgs checks args against the command's flags. It also makes sure
// that every argument is a flag or a flag's value, so that an appended
// -help is parsed (and the command stops there) rather than taken for an
// argument after which the service would start.
func checkArgs(t *testing.T, args []string, flags map[string]bool) {
	t.Helper()
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, _, inline := strings.Cut(strings.TrimLeft(a, "-"), "=")
		value, ok := flags[name]
		switch {
		case !strings.HasPrefix(a, "-"):
			t.Fatalf("argument %q of %v is not a flag; altcos-fleetlock takes none", a, args)
		case !ok:
			t.Fatalf("flag %s of %v: altcos-fleetlock has no such flag (it has %v)", a, args, flags)
		case value && !inline:
			if i++; i == len(args) {
				t.Fatalf("flag %s of %v has no value", a, args)
			}
		}
	}
}

// TestUnitFlags runs every altcos-fleetlock command line of the unit and
// of docs/fleetlock.md with -help appended: the command parses the flags
// and their values (--group NAME=SLOTS), then stops at -help.
func TestUnitFlags(t *testing.T) {
	flags := knownFlags(t)
	// The check must be able to fail: an unknown flag is a usage error.
	if _, err := fleetlock(t, "--no-such-flag", "x", "-help"); err == nil {
		t.Fatalf("altcos-fleetlock --no-such-flag x -help = nil, want a usage error")
	}
	for _, f := range []struct {
		path     string
		markdown bool
	}{{unitPath, false}, {docsPath, true}} {
		text, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatal(err)
		}
		cmds := commands(string(text), f.markdown)
		if len(cmds) == 0 {
			t.Errorf("%s: no altcos-fleetlock command line", f.path)
		}
		for _, c := range cmds {
			if c[0] != "/usr/local/bin/altcos-fleetlock" && c[0] != "altcos-fleetlock" {
				t.Errorf("%s: command %s, want /usr/local/bin/altcos-fleetlock (where the docs install it)", f.path, c[0])
			}
			checkArgs(t, c[1:], flags)
			if out, err := fleetlock(t, append(c[1:], "-help")...); err != nil {
				t.Errorf("%s: %v: altcos-fleetlock refuses its flags: %v\n%s", f.path, c, err, out)
			}
		}
		t.Logf("%s: %d command lines accepted", f.path, len(cmds))
	}
	unit, _ := os.ReadFile(unitPath)
	if !regexp.MustCompile(`(?m)^ExecStart=/usr/local/bin/altcos-fleetlock `).Match(unit) {
		t.Errorf("%s: no ExecStart=/usr/local/bin/altcos-fleetlock line", unitPath)
	}
}

// TestUnitVerify runs systemd-analyze verify on the unit, with ExecStart
// pointing at this test binary (verify wants an executable there), and
// wants it silent: it exits 0 even on unknown keys and bad values. Then
// systemd-analyze security scores the unit's sandbox.
func TestUnitVerify(t *testing.T) {
	tooltest.Tools(t, "systemd-analyze")
	text, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	unit := filepath.Join(t.TempDir(), "altcos-fleetlock.service")
	text = bytes.ReplaceAll(text, []byte("/usr/local/bin/altcos-fleetlock"), []byte(exe))
	if err := os.WriteFile(unit, text, 0o644); err != nil {
		t.Fatal(err)
	}
	// Two buffers: run.Run copies stderr to its own tail as well, and one
	// bytes.Buffer filled from two pipes at once loses writes.
	var stdout, stderr bytes.Buffer
	err = run.Run(context.Background(), nil, run.Cmd{Argv: []string{"systemd-analyze", "verify", "--man=no", unit}, Stdout: &stdout, Stderr: &stderr})
	if err != nil || stdout.Len()+stderr.Len() > 0 {
		t.Errorf("systemd-analyze verify %s = %v\n%s%s", unitPath, err, stdout.String(), stderr.String())
	}
	// The hardening must not wear off: systemd's exposure score (0 to 10,
	// the unit has 1.1) stays at most maxExposure/10.
	stdout.Reset()
	stderr.Reset()
	err = run.Run(context.Background(), nil, run.Cmd{Argv: []string{"systemd-analyze", "security", "--offline=true", "--threshold=" + maxExposure, unit}, Stdout: &stdout, Stderr: &stderr})
	if err != nil {
		t.Errorf("systemd-analyze security %s: exposure above %s/10 or error: %v\n%s%s", unitPath, maxExposure, err, stdout.String(), stderr.String())
	}
}

const maxExposure = "20"
