package vmtests

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/altcos/altcos-tools/deployarchive"
	"github.com/altcos/altcos-tools/internal/run"
)

// Test fixtures. The passwords are test values, known to everyone; they are
// still never printed: the console shows only what the guest echoes.
var (
	//go:embed testdata/vmtest.ign
	VMTestIgnition []byte
	//go:embed testdata/invalid.ign
	InvalidIgnition []byte
	//go:embed testdata/demo.ign
	DemoIgnition []byte
)

// Credentials of the fixtures.
const (
	// VMTestUser and VMTestUserPassword are the user testdata/vmtest.ign creates.
	VMTestUser         = "vmtest"
	VMTestUserPassword = "vmtest-user-pw"
	// RootPassword is the root password the tests set at install time;
	// RootPasswordHash is its yescrypt hash (mkpasswd --method=yescrypt).
	RootPassword     = "vmtest-root-pw"
	RootPasswordHash = "$y$j9T$9XhvRzFyn9jQFdrQPzAkK.$zou9fnpJqGSB40YiWBqLq.QQlooHSsATeDQYuNAEXw2"
	// DemoUser and DemoPassword log in to the demo's installed system
	// (testdata/demo.ign sets the password of the OS's altcos user).
	DemoUser     = "altcos"
	DemoPassword = "altcos"
	// TargetDevice is the blank disk as the guest sees it (the first virtio disk).
	TargetDevice = "/dev/vda"
	// BrokenDevice is the install target of ALTCOS_VMTEST_BREAK=1 runs.
	BrokenDevice = "/dev/nonexistent"
	// SerialKarg puts the installed system's console on the serial port.
	SerialKarg = "console=ttyS0,115200n8"
)

// Live system console lines (initramfs/live prints them).
const (
	liveInstallDone = "install finished; rebooting."
	// installerDone is the installer's own last line ("ALTCOS <version>
	// installed on /dev/vda"); unattended, it reboots right after it.
	installerDone     = " installed on /dev/"
	liveInstallFailed = "UNATTENDED INSTALL FAILED"
	liveReady         = "ALTCOS live system ready"
	liveNoMedium      = "altcos-live: no boot medium"
)

// Timeouts under TCG on a shared 2-core machine; KVM needs a fraction.
var (
	liveBootTimeout = 5 * time.Minute
	installTimeout  = 25 * time.Minute
	diskBootTimeout = 12 * time.Minute
	commandTimeout  = 3 * time.Minute
)

// Artifacts are the things under test, from a build of this tree or from a
// distribution's own build.
type Artifacts struct {
	ISO    string // the live ISO (altcos-build iso)
	PXEDir string // altcos-build pxe output: kernel, live initramfs, deploy archive initrd
	QCOW2  string // altcos-build qcow2 output
	// Manifest is the deploy archive manifest (deploy.json) whose commit and
	// version the installed system must show; when empty it is read from
	// the ISO or the PXE folder.
	Manifest string
	// Repo is the ostree repository the QCOW2 was built from (make compose:
	// out/repo); the update scenario makes its v2 on a copy of it.
	Repo string
}

// ArtifactsFromEnv reads ALTCOS_VMTEST_ISO, ALTCOS_VMTEST_PXE_DIR,
// ALTCOS_VMTEST_QCOW2 and ALTCOS_VMTEST_MANIFEST; what they leave empty is
// looked for under ALTCOS_VMTEST_ARTIFACTS (a build's output folder).
func ArtifactsFromEnv() Artifacts {
	a := Artifacts{
		ISO:      os.Getenv("ALTCOS_VMTEST_ISO"),
		PXEDir:   os.Getenv("ALTCOS_VMTEST_PXE_DIR"),
		QCOW2:    os.Getenv("ALTCOS_VMTEST_QCOW2"),
		Manifest: os.Getenv("ALTCOS_VMTEST_MANIFEST"),
		Repo:     os.Getenv("ALTCOS_VMTEST_REPO"),
	}
	if dir := os.Getenv("ALTCOS_VMTEST_ARTIFACTS"); dir != "" {
		a = a.Fill(Discover(dir))
	}
	return a
}

// Fill returns a with its empty fields taken from b.
func (a Artifacts) Fill(b Artifacts) Artifacts {
	if a.ISO == "" {
		a.ISO = b.ISO
	}
	if a.PXEDir == "" {
		a.PXEDir = b.PXEDir
	}
	if a.QCOW2 == "" {
		a.QCOW2 = b.QCOW2
	}
	if a.Manifest == "" {
		a.Manifest = b.Manifest
	}
	if a.Repo == "" {
		a.Repo = b.Repo
	}
	return a
}

// Discover finds artifacts in a build's output folder: the newest live ISO
// (*.iso, not a customized copy under vmtest/ or demo/), the folder holding a
// PXE kernel (*vmlinuz*, *-kernel*), the newest *.qcow2, and the newest deploy
// archive manifest (*deploy.json), and the ostree repository named repo.
func Discover(dir string) Artifacts {
	var a Artifacts
	newest := map[string]time.Time{}
	pick := func(kind *string, key, p string, fi os.FileInfo) {
		if fi.ModTime().After(newest[key]) {
			newest[key] = fi.ModTime()
			*kind = p
		}
	}
	_ = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return nil
		}
		if fi.IsDir() {
			if fi.Name() == "repo" && a.Repo == "" {
				if _, err := os.Stat(filepath.Join(p, "config")); err == nil {
					a.Repo = p // an ostree repository: config, objects/, refs/
					return filepath.SkipDir
				}
			}
			// Artifacts sit at most two levels down; OS trees and repos
			// below would only slow the walk and offer wrong kernels.
			if rel, _ := filepath.Rel(dir, p); strings.Count(rel, string(filepath.Separator)) >= 2 {
				return filepath.SkipDir
			}
			if fi.Name() == "vmtest" || fi.Name() == "demo" {
				return filepath.SkipDir // our own disks and customized copies
			}
			return nil
		}
		n := fi.Name()
		switch {
		case strings.HasSuffix(n, ".iso"):
			pick(&a.ISO, "iso", p, fi)
		case strings.HasSuffix(n, ".qcow2"):
			pick(&a.QCOW2, "qcow2", p, fi)
		case (strings.Contains(n, "vmlinuz") || strings.Contains(n, "-kernel")) && !strings.Contains(p, "/iso"):
			pick(&a.PXEDir, "pxe", filepath.Dir(p), fi)
		case strings.HasSuffix(n, deployarchive.ManifestName):
			pick(&a.Manifest, "manifest", p, fi)
		}
		return nil
	})
	return a
}

// Env is what a scenario runs with.
type Env struct {
	Log   *slog.Logger
	Out   string // this scenario's folder: disks, console logs
	Accel string // tcg or kvm
	Art   Artifacts
	// Echo, when set, receives every console live.
	Echo io.Writer
	// Progress receives one line per step (nil: none).
	Progress io.Writer
	// Break makes the install deliberately wrong (target BrokenDevice), to
	// prove that a broken install turns the run red with the console tail.
	Break bool
}

func (e *Env) step(format string, args ...any) {
	if e.Progress != nil {
		fmt.Fprintf(e.Progress, "vmtest: "+format+"\n", args...)
	}
	if e.Log != nil {
		e.Log.Debug(fmt.Sprintf(format, args...))
	}
}

func (e *Env) machine(name string, fw Firmware) Config {
	code, vars := OVMF()
	return Config{Name: name, OutDir: e.Out, Accel: e.Accel, Firmware: fw, OVMFCode: code, OVMFVars: vars, Echo: e.Echo}
}

// SkipError is a scenario that cannot run with the artifacts at hand; it is
// never a pass.
type SkipError struct {
	Reason string
	// Missing marks an artifact that was not given at all; with
	// ALTCOS_REQUIRE_TOOLS=1 (CI) that is a failure, not a skip.
	Missing bool
}

func (e *SkipError) Error() string { return "skipped: " + e.Reason }

func skipf(format string, args ...any) error { return &SkipError{Reason: fmt.Sprintf(format, args...)} }

func missingf(format string, args ...any) error {
	return &SkipError{Reason: fmt.Sprintf(format, args...), Missing: true}
}

// Scenario is one machine test.
type Scenario struct {
	Name string
	Doc  string
	// Estimate is the most it takes under TCG on the CI machine (two shared
	// cores); a budgeted run starts it only when that much time is left.
	Estimate time.Duration
	Run      func(ctx context.Context, env *Env) error
}

// Scenarios lists every scenario in the order `make vmtest` runs them: the
// first proof of an install, then the cheap refusals, then the rest, so a
// short budget still covers the most.
func Scenarios() []Scenario {
	const install, refusal = 15 * time.Minute, 4 * time.Minute
	return []Scenario{
		{"bios-unattended", "unattended install from the customized live ISO, BIOS; then boot and check the installed system", install, func(ctx context.Context, env *Env) error { return isoUnattended(ctx, env, BIOS) }},
		{"bad-ignition-url", "an unreachable Ignition URL: the installer says why and the disk stays byte-identical", refusal, badIgnitionURL},
		{"bad-ignition-config", "an invalid Ignition config: the installer says why and the disk stays byte-identical", refusal, badIgnitionConfig},
		{"pxe", "PXE-style boot (-kernel -initrd -append) installing unattended with Ignition from the host's HTTP server and its hash", install, pxeInstall},
		{"uefi-unattended", "unattended install from the customized live ISO, UEFI (OVMF); then boot and check", install, func(ctx context.Context, env *Env) error { return isoUnattended(ctx, env, UEFI) }},
		{"interactive", "install from the live ISO over the serial console: choose the disk, y, root password twice, y to reboot", install, interactive},
		{"qcow2", "boot the QCOW2 image with Ignition from fw_cfg and check it", 10 * time.Minute, qcow2},
		{"power-cut", "QEMU killed during the deploy: the disk does not boot ALTCOS, and a second install succeeds", 10 * time.Minute, powerCut},
		{"update-rollback", "the QCOW2 of v1 upgrades to a v2 served by the host on 127.0.0.1:8080, reboots into v2 with v1 the rollback entry, and rollback boots v1", 12 * time.Minute, updateRollback},
	}
}

// Lookup finds a scenario by name.
func Lookup(name string) (Scenario, bool) {
	for _, s := range Scenarios() {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
}

// Expected is what `ostree admin status` of an installed system must show.
type Expected struct {
	Commit  string
	Version string
	Ref     string
}

func expectedFrom(m deployarchive.Manifest) Expected {
	return Expected{Commit: m.Commit, Version: m.Version, Ref: m.Ref}
}

func readManifest(path string) (deployarchive.Manifest, error) {
	var m deployarchive.Manifest
	data, err := os.ReadFile(path)
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("parse %s: %w", path, err)
	}
	if m.Commit == "" || m.Version == "" || m.Ref == "" {
		return m, fmt.Errorf("%s names no commit, version or ref", path)
	}
	return m, nil
}

// expected finds the manifest of the artifacts: the explicit one, the PXE
// folder's, or the one inside the ISO (read with xorriso: this machine's
// kernel has no iso9660).
func (e *Env) expected(ctx context.Context) (Expected, error) {
	if e.Art.Manifest != "" {
		m, err := readManifest(e.Art.Manifest)
		return expectedFrom(m), err
	}
	if e.Art.PXEDir != "" {
		if ms, _ := filepath.Glob(filepath.Join(e.Art.PXEDir, "*.json")); len(ms) > 0 {
			for _, p := range ms {
				if m, err := readManifest(p); err == nil {
					return expectedFrom(m), nil
				}
			}
		}
	}
	if e.Art.ISO != "" {
		dst := filepath.Join(e.Out, "iso-"+deployarchive.ManifestName)
		_ = os.Remove(dst)
		src := "/" + deployarchive.MediumDir + "/" + deployarchive.ManifestName
		if err := run.Run(ctx, e.Log, run.Cmd{Argv: []string{"xorriso", "-osirrox", "on", "-indev", e.Art.ISO, "-extract", src, dst}}); err != nil {
			return Expected{}, fmt.Errorf("read %s from %s: %w", src, e.Art.ISO, err)
		}
		m, err := readManifest(dst)
		return expectedFrom(m), err
	}
	return Expected{}, errors.New("no manifest: set ALTCOS_VMTEST_MANIFEST to the deploy archive's deploy.json")
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// writeFile writes data to name in the scenario's folder and returns its path.
func (e *Env) writeFile(name string, data []byte) (string, error) {
	p := filepath.Join(e.Out, name)
	return p, os.WriteFile(p, data, 0o644)
}

// targetDevice is the install target: TargetDevice, or BrokenDevice when the
// run is deliberately broken.
func (e *Env) targetDevice() string {
	if e.Break {
		return BrokenDevice
	}
	return TargetDevice
}

func timeSince(t time.Time) string { return time.Since(t).Round(time.Second).String() }

func joinKargs(k ...string) string { return strings.Join(k, " ") }
