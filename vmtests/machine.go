// Package vmtests drives QEMU machines that boot ALTCOS artifacts (the live
// ISO, the PXE kernel and initramfs, the QCOW2 image), install, reboot and
// check the installed system from its serial console. It is a library used by
// the tier-2 Go tests of this package (gated by ALTCOS_VMTEST=1) and by
// cmd/altcos-vmtest, which a distribution's CI runs against its own artifacts.
//
// The driver is our own, over exec: hugelgupf/vmtest's qemu package was
// considered first, but its expect layer (Netflix/go-expect) has only an idle
// read timeout, not a deadline per step, re-reads the whole buffer for every
// byte, and runs QEMU on a pty that stalls the guest when no Expect is
// reading. Here the console is a pipe drained all the time into memory and a
// log file, and every wait has its own deadline.
//
// Environment of the tests and of altcos-vmtest:
//
//	ALTCOS_VMTEST=1            run the tier-2 tests (go test ./vmtests)
//	ALTCOS_VMTEST_ISO          live ISO            (altcos-vmtest --iso)
//	ALTCOS_VMTEST_PXE_DIR      PXE folder          (--pxe-dir)
//	ALTCOS_VMTEST_QCOW2        QCOW2 image         (--qcow2)
//	ALTCOS_VMTEST_MANIFEST     deploy.json the installs must show (--manifest)
//	ALTCOS_VMTEST_ARTIFACTS    a build output folder to find the above in (--artifacts)
//	ALTCOS_VMTEST_ACCEL        tcg or kvm; unset: probe KVM with a short boot
//	ALTCOS_VMTEST_BREAK=1      install onto /dev/nonexistent (a red run, on purpose)
//	ALTCOS_VMTEST_OUT          console logs and disks (default out/vmtest)
//	VMTEST_BUDGET_SECS         time budget of the run; scenarios that no longer fit are skipped by name
//	ALTCOS_TOOL_ALTCOS_BUILD   the altcos-build used for `iso customize`
//
// On failure the console log stays in the scenario's folder and the error
// carries its tail.
package vmtests

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/altcos/altcos-tools/internal/run"
)

// Firmware is what the machine boots with.
type Firmware string

// Firmwares.
const (
	BIOS Firmware = "bios" // SeaBIOS, QEMU's default
	UEFI Firmware = "uefi" // OVMF
)

// Drive is a disk or CD-ROM of a machine.
type Drive struct {
	Path   string
	Format string // raw (default) or qcow2
	CDROM  bool   // a CD-ROM (where live ISOs are found); otherwise a virtio disk
	// CDROMBus is virtio-scsi (default) or ahci. Debian's cloud kernel, the
	// test OS's, has no AHCI driver, so a q35 ide-cd is invisible to its
	// live system; a distribution kernel can be tested on ahci too.
	CDROMBus string
	ReadOnly bool
	Serial   string
	// BootIndex orders the firmware's boot devices (lower first); 0 leaves it unset.
	BootIndex int
}

// Config describes one machine.
type Config struct {
	Name      string // names the console log: OutDir/<Name>.console.log
	OutDir    string
	QEMU      string // default qemu-system-x86_64 (run.Path: ALTCOS_TOOL_QEMU_SYSTEM_X86_64)
	Accel     string // tcg (default) or kvm
	MemoryMiB int    // default 2048
	CPUs      int    // default 1 (the CI machine has 2 cores for everything)
	Firmware  Firmware
	// OVMFCode and OVMFVars are the UEFI firmware and its variable store
	// template; the template is copied to OutDir/<Name>.OVMF_VARS.fd once, so
	// later boots of the same Name see the variables the earlier ones wrote.
	OVMFCode, OVMFVars string
	Drives             []Drive
	Kernel             string
	Initrd             string
	Append             string
	// FwCfg maps fw_cfg names (opt/com.coreos/config) to host files.
	FwCfg map[string]string
	// Net adds a virtio NIC on QEMU user networking: the host is 10.0.2.2.
	Net bool
	// NoReboot makes a guest reboot end QEMU, so a test sees an installer's
	// reboot as the machine's exit and starts the next boot itself.
	NoReboot bool
	// Timeout is a hard limit on the machine's life: QEMU is killed after it.
	Timeout time.Duration
	// Echo, when set, receives the console output live (progress for humans).
	Echo  io.Writer
	Extra []string
}

// OVMF returns the first installed OVMF code and variables pair (Debian's
// ovmf package), or empty strings.
func OVMF() (code, vars string) {
	pairs := [][2]string{
		{"/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd"},
		{"/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd"},
	}
	for _, p := range pairs {
		if fileExists(p[0]) && fileExists(p[1]) {
			return p[0], p[1]
		}
	}
	return "", ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// VarsPath is where a UEFI machine's writable variable store lives.
func (c Config) VarsPath() string {
	return filepath.Join(c.OutDir, c.Name+".OVMF_VARS.fd")
}

// LogPath is where the machine's console log is kept.
func (c Config) LogPath() string {
	return filepath.Join(c.OutDir, c.Name+".console.log")
}

// Args returns QEMU's argument list (without the program) for c.
func (c Config) Args() ([]string, error) {
	if c.Name == "" {
		return nil, errors.New("machine config: empty name")
	}
	accel := c.Accel
	if accel == "" {
		accel = "tcg"
	}
	mem := c.MemoryMiB
	if mem == 0 {
		mem = 2048
	}
	cpus := c.CPUs
	if cpus == 0 {
		cpus = 1
	}
	a := []string{
		"-name", c.Name,
		"-machine", "q35", "-accel", accel,
		"-m", strconv.Itoa(mem), "-smp", strconv.Itoa(cpus),
		// No default devices, no display: the serial console on stdio is the
		// only way in or out, as on a headless server.
		"-nodefaults", "-display", "none", "-serial", "stdio",
		"-device", "virtio-rng-pci",
	}
	if c.NoReboot {
		a = append(a, "-no-reboot")
	}
	switch c.Firmware {
	case BIOS, "":
	case UEFI:
		if c.OVMFCode == "" || c.OVMFVars == "" {
			return nil, errors.New("machine config: UEFI needs OVMF code and variables (install Debian's ovmf)")
		}
		a = append(a,
			"-drive", "if=pflash,format=raw,unit=0,readonly=on,file="+c.OVMFCode,
			"-drive", "if=pflash,format=raw,unit=1,file="+c.VarsPath())
	default:
		return nil, fmt.Errorf("machine config: unknown firmware %q (bios or uefi)", c.Firmware)
	}
	for i, d := range c.Drives {
		if d.Path == "" {
			return nil, fmt.Errorf("machine config: drive %d has no path", i)
		}
		if strings.Contains(d.Path, ",") {
			return nil, fmt.Errorf("machine config: drive path %q contains a comma, which QEMU cannot take", d.Path)
		}
		format := d.Format
		if format == "" {
			format = "raw"
		}
		id := fmt.Sprintf("drive%d", i)
		drive := fmt.Sprintf("file=%s,format=%s,if=none,id=%s", d.Path, format, id)
		var dev string
		if d.CDROM {
			drive += ",media=cdrom,readonly=on"
			switch d.CDROMBus {
			case "", "virtio-scsi":
				scsi := fmt.Sprintf("scsi%d", i)
				a = append(a, "-device", "virtio-scsi-pci,id="+scsi)
				dev = "scsi-cd,bus=" + scsi + ".0,drive=" + id
			case "ahci":
				dev = "ide-cd,drive=" + id
			default:
				return nil, fmt.Errorf("machine config: CD-ROM bus %q: want virtio-scsi or ahci", d.CDROMBus)
			}
		} else {
			// cache=unsafe: the host's page cache keeps what the guest wrote
			// even when QEMU is killed (the power-cut test), and ignoring the
			// guest's flushes saves minutes of TCG time.
			drive += ",cache=unsafe"
			if d.ReadOnly {
				drive += ",readonly=on"
			}
			dev = "virtio-blk-pci,drive=" + id
			if d.Serial != "" {
				dev += ",serial=" + d.Serial
			}
		}
		if d.BootIndex > 0 {
			dev += ",bootindex=" + strconv.Itoa(d.BootIndex)
		}
		a = append(a, "-drive", drive, "-device", dev)
	}
	if c.Net {
		a = append(a, "-netdev", "user,id=net0", "-device", "virtio-net-pci,netdev=net0")
	}
	if c.Kernel != "" {
		a = append(a, "-kernel", c.Kernel)
		if c.Initrd != "" {
			a = append(a, "-initrd", c.Initrd)
		}
		if c.Append != "" {
			a = append(a, "-append", c.Append)
		}
	} else if c.Initrd != "" || c.Append != "" {
		return nil, errors.New("machine config: an initrd or kernel arguments need a kernel")
	}
	names := make([]string, 0, len(c.FwCfg))
	for n := range c.FwCfg {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		a = append(a, "-fw_cfg", "name="+n+",file="+c.FwCfg[n])
	}
	return append(a, c.Extra...), nil
}

// Machine is a running QEMU.
type Machine struct {
	Name    string
	Console *Console
	Cmdline string

	cmd     *exec.Cmd
	stdin   io.WriteCloser
	cancel  context.CancelFunc
	done    chan struct{}
	waitErr error
	started time.Time
	once    sync.Once
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
	if c.Firmware == UEFI && !fileExists(c.VarsPath()) {
		if err := copyFile(c.OVMFVars, c.VarsPath()); err != nil {
			return nil, fmt.Errorf("machine %s: copy UEFI variables: %w", c.Name, err)
		}
	}
	con, err := NewConsole(c.LogPath(), c.Echo)
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
	m := &Machine{Name: c.Name, Console: con, Cmdline: run.Quote(argv, nil), cmd: cmd, stdin: stdin, cancel: cancel, done: make(chan struct{})}
	if log != nil {
		log.Info("start machine", "name", c.Name, "cmd", m.Cmdline, "console", c.LogPath())
	}
	fmt.Fprintf(con.log, "# %s\n", m.Cmdline)
	if err := cmd.Start(); err != nil {
		cancel()
		con.Close()
		return nil, fmt.Errorf("start %s: %w", m.Cmdline, err)
	}
	m.started = time.Now()
	go func() {
		err := cmd.Wait()
		m.waitErr = err
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
		m.settle(time.Second, 5*time.Second)
		return r, &ConsoleError{Machine: m.Name, Step: step, Err: err, Log: m.Console.LogPath(), Tail: m.Console.TailAtCursor(TailLines, 12)}
	}
	if err != nil {
		return r, m.Fail(step, err)
	}
	return r, nil
}

// Fail wraps err as a ConsoleError of this machine. It first lets the console
// settle (until a second passes without output, at most five), so that the
// lines explaining a failure, printed just after its marker, are in the tail.
func (m *Machine) Fail(step string, err error) error {
	m.settle(time.Second, 5*time.Second)
	return &ConsoleError{Machine: m.Name, Step: step, Err: err, Log: m.Console.LogPath(), Tail: m.Console.Tail(TailLines)}
}

func (m *Machine) settle(quiet, most time.Duration) {
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

// Uptime is how long the machine has run.
func (m *Machine) Uptime() time.Duration { return time.Since(m.started) }

// Close kills QEMU if it still runs and closes the console log.
func (m *Machine) Close() {
	m.once.Do(func() {
		m.Kill()
		m.cancel()
		_ = m.stdin.Close()
		_ = m.Console.Close()
	})
}

// ConsoleError is a failed step of a machine, with what its console said.
type ConsoleError struct {
	Machine string
	Step    string
	Err     error
	Log     string // the whole console log
	Tail    string
}

func (e *ConsoleError) Error() string {
	return fmt.Sprintf("machine %s: %s: %v\nconsole log: %s\n----- console tail (%d lines) -----\n%s\n----- end of console tail -----",
		e.Machine, e.Step, e.Err, e.Log, TailLines, e.Tail)
}

func (e *ConsoleError) Unwrap() error { return e.Err }

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
