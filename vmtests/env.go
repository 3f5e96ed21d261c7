package vmtests

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/altcos/altcos-tools/internal/fsutil"
	"github.com/altcos/altcos-tools/vmtests/qemu"
)

// Env is what a scenario runs with.
type Env struct {
	Log   *slog.Logger
	Out   string // this scenario's folder: disks, console logs
	Accel string // tcg or kvm (Options.Env: also auto, the KVM probe)
	// CPUs is each machine's number of virtual CPUs (0: qemu.Config's
	// default, 1); under TCG more than one runs multi-threaded.
	CPUs int
	Art  Artifacts
	// Echo, when set, receives every console live.
	Echo io.Writer
	// Progress receives one line per step (nil: none).
	Progress io.Writer
	// Break makes the install deliberately wrong (target brokenDisk), to
	// prove that a broken install turns the run red with the console tail.
	Break bool
	// StreamBaseURL, when set, has the demo's ISO install the newest
	// release of Stream from there (altcos.inst.stream_base_url), not the
	// deploy archive on the medium.
	Stream, StreamBaseURL string

	// inMachines is the sum of the scenario's machines' lives, from their
	// start to their close: the rest of its wall time is host work.
	inMachines time.Duration
	// Times, when set, receives each machine's phase times as it is closed
	// (nil: they go to Progress).
	Times func(machine string, spans []qemu.Span)

	// installed holds the disks that scenarios of this run installed and
	// checked, by scenario: a later scenario may go on from one instead of
	// installing again (reinstall-keep-data from interactive's). Run makes it.
	installed map[string]string
}

// leaveDisk offers the disk that scenario installed and checked to the run's
// later scenarios.
func (e *Env) leaveDisk(scenario, disk string) {
	if e.installed != nil {
		e.installed[scenario] = disk
	}
}

// takeDisk moves the disk that scenario left into this scenario's folder as
// name and returns its path, or "" when the run has none (the scenario did
// not run or failed): each disk goes on in one scenario only.
func (e *Env) takeDisk(scenario, name string) (string, error) {
	disk, ok := e.installed[scenario]
	if !ok {
		return "", nil
	}
	delete(e.installed, scenario)
	dst := filepath.Join(e.Out, name)
	if err := os.Rename(disk, dst); err != nil {
		return "", fmt.Errorf("take the disk %s left: %w", scenario, err)
	}
	return dst, nil
}

func (e *Env) step(format string, args ...any) {
	if e.Progress != nil {
		fmt.Fprintf(e.Progress, "vmtest: "+format+"\n", args...)
	}
	if e.Log != nil {
		e.Log.Debug(fmt.Sprintf(format, args...))
	}
}

func (e *Env) machine(name string, fw qemu.Firmware) qemu.Config {
	code, vars := qemu.OVMF(fw)
	return qemu.Config{Name: name, OutDir: e.Out, Accel: e.Accel, CPUs: e.CPUs, Firmware: fw, OVMFCode: code, OVMFVars: vars, Echo: e.Echo, Closed: e.machineClosed}
}

// bootMarks split an ALTCOS machine's life into phases (qemu.Machine.Phases):
// a live system's kernel start, hints, installer and reboot; an installed
// system's kernel start and login prompt, boot after boot. The first phase,
// up to the kernel's start, is the firmware and the boot menu (or QEMU's
// direct kernel load).
var bootMarks = []qemu.Mark{
	{Text: "Linux version ", Phase: "kernel+init"},
	{Text: liveReady, Phase: "live setup"},
	{Text: installerFirstStep, Phase: "install"},
	{Text: installerDone, Phase: "to reboot"},
	{Text: "login: ", Phase: "logged in"},
	{Text: "reboot: ", Phase: "reset+firmware+menu"},
}

// machineClosed reports a closed machine's phase times (a line in the
// progress and the CI log) and adds its life to the scenario's machine time.
func (e *Env) machineClosed(m *qemu.Machine) {
	spans := m.Phases("firmware+menu", bootMarks, true)
	for _, s := range spans {
		e.inMachines += s.Took
	}
	if e.Times != nil {
		e.Times(m.Name, spans)
		return
	}
	e.step("%s: times: %s", m.Name, qemu.FormatSpans(spans))
}

// skipError is a scenario that cannot run with the artifacts at hand; it is
// never a pass.
type skipError struct {
	Reason string
	// Missing marks an artifact that was not given at all: Run fails the
	// scenario unless Options.SkipMissing.
	Missing bool
}

func (e *skipError) Error() string { return "skipped: " + e.Reason }

func skipf(format string, args ...any) error { return &skipError{Reason: fmt.Sprintf(format, args...)} }

func missingf(format string, args ...any) error {
	return &skipError{Reason: fmt.Sprintf(format, args...), Missing: true}
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// writeFile writes data to name in the scenario's folder and returns its path.
func (e *Env) writeFile(name string, data []byte) (string, error) {
	p := filepath.Join(e.Out, name)
	return p, fsutil.WriteFileAtomic(p, data, 0o644)
}

// targetDevice is the install target: guestDisk, or brokenDisk when the
// run is deliberately broken.
func (e *Env) targetDevice() string {
	if e.Break {
		return brokenDisk
	}
	return guestDisk
}

func timeSince(t time.Time) string { return time.Since(t).Round(time.Second).String() }

func joinKargs(k ...string) string { return strings.Join(k, " ") }

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// ParseCPUs reads a machine's number of virtual CPUs (ALTCOS_VMTEST_CPUS,
// --cpus): empty is DefaultCPUs, otherwise 1 to 8.
func ParseCPUs(s string) (int, error) {
	if s == "" {
		return DefaultCPUs(), nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 8 {
		return 0, fmt.Errorf("virtual CPUs %q: want a number from 1 to 8", s)
	}
	return n, nil
}

// DefaultCPUs is a machine's number of virtual CPUs when none is asked for:
// two when the host has two cores or more, else one. The machines run one
// at a time, so under TCG (multi-threaded with two) a guest gets both
// cores: the qcow2 scenario took 267 s with two against 391 s with one
// (one run each on an idle two-core machine), its boot to the login 53 s
// against 70 s, its container checks 1m57s against 3m8s.
func DefaultCPUs() int {
	return min(2, runtime.NumCPU())
}
