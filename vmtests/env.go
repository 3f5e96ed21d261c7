package vmtests

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
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
	Art   Artifacts
	// Echo, when set, receives every console live.
	Echo io.Writer
	// Progress receives one line per step (nil: none).
	Progress io.Writer
	// Break makes the install deliberately wrong (target brokenDisk), to
	// prove that a broken install turns the run red with the console tail.
	Break bool
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
	code, vars := qemu.OVMF()
	return qemu.Config{Name: name, OutDir: e.Out, Accel: e.Accel, Firmware: fw, OVMFCode: code, OVMFVars: vars, Echo: e.Echo}
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
