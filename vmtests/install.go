package vmtests

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/altcos/altcos-tools/deployarchive"
	"github.com/altcos/altcos-tools/installer/bootloader"
	"github.com/altcos/altcos-tools/internal/run"
)

// CustomizeISO makes a copy of iso that installs unattended onto dest with the
// Ignition config ign and the installed system's extra kernel arguments, with
// `altcos-build iso customize` (ALTCOS_TOOL_ALTCOS_BUILD names the program).
func CustomizeISO(ctx context.Context, env *Env, iso, out, dest, ign string, kargs []string) error {
	argv := []string{"altcos-build", "iso", "customize", "--dest-device", dest, "--dest-ignition", ign}
	for _, k := range kargs {
		argv = append(argv, "--dest-karg-append", k)
	}
	argv = append(argv, "-o", out, iso)
	if err := run.Run(ctx, env.Log, run.Cmd{Argv: argv}); err != nil {
		return fmt.Errorf("customize the live ISO: %w", err)
	}
	return nil
}

// runInstall waits for the live system's unattended install to finish and
// the machine to reboot (it runs with NoReboot, so QEMU exits).
func runInstall(ctx context.Context, env *Env, m *Machine, fail ...string) error {
	t0 := time.Now()
	fail = append(fail, liveInstallFailed, "Kernel panic", "No bootable device")
	if _, err := m.Expect(ctx, "unattended install", installTimeout, []string{liveInstallDone, installerDone}, fail...); err != nil {
		return err
	}
	env.step("%s: install finished after %s", m.Name, timeSince(t0))
	if err := m.Wait(ctx, 2*time.Minute); err != nil && !m.Exited() {
		return err
	}
	return nil
}

// diskMachine is the installed disk booting alone.
func (e *Env) diskMachine(name string, fw Firmware, disk, format string) Config {
	c := e.machine(name, fw)
	c.Drives = []Drive{{Path: disk, Format: format, BootIndex: 1}}
	c.Net = true
	return c
}

// isoUnattended: customize the ISO, install from it, boot the disk, check.
func isoUnattended(ctx context.Context, env *Env, fw Firmware) error {
	if env.Art.ISO == "" {
		return missingf("no live ISO: set ALTCOS_VMTEST_ISO (make iso builds one)")
	}
	if fw == UEFI {
		if code, _ := OVMF(); code == "" {
			return skipf("no OVMF firmware: install Debian's ovmf")
		}
	}
	// An `iso customize` install sets no root password: the config does.
	withRoot, err := IgnitionWithRootPassword(VMTestIgnition, RootPasswordHash)
	if err != nil {
		return err
	}
	ign, err := env.writeFile("vmtest-root.ign", withRoot)
	if err != nil {
		return err
	}
	iso := filepath.Join(env.Out, "custom.iso")
	env.step("customizing the live ISO: install onto %s with testdata/vmtest.ign", env.targetDevice())
	if err := CustomizeISO(ctx, env, env.Art.ISO, iso, env.targetDevice(), ign, []string{SerialKarg}); err != nil {
		return err
	}
	disk := filepath.Join(env.Out, "disk.img")
	if err := BlankDisk(ctx, env.Log, disk, DiskSize); err != nil {
		return err
	}
	c := env.machine(string(fw)+"-install", fw)
	c.NoReboot = true
	c.Net = true
	c.Drives = []Drive{{Path: disk, BootIndex: 2}, {Path: iso, CDROM: true, BootIndex: 1}}
	env.step("%s: booting the customized ISO (%s)", c.Name, fw)
	m, err := Start(ctx, env.Log, c)
	if err != nil {
		return err
	}
	defer m.Close()
	// Without its medium the live system cannot see the customization.
	if err := runInstall(ctx, env, m, liveNoMedium); err != nil {
		return err
	}
	m.Close()
	srv, err := Serve(env.Log, nil)
	if err != nil {
		return err
	}
	defer srv.Close()
	want, err := env.expected(ctx)
	if err != nil {
		return err
	}
	return checkInstalled(ctx, env, env.diskMachine(string(fw)+"-disk", fw, disk, "raw"), want, Account{User: "root", Password: RootPassword}, srv)
}

// pxeFiles finds the PXE kernel and initrds in dir and joins the initrds
// into one file, as a boot loader loading two initrds does (QEMU's -initrd
// takes one; Linux reads concatenated cpio archives as one).
func pxeFiles(env *Env) (kernel, initrd string, err error) {
	dir := env.Art.PXEDir
	if dir == "" {
		return "", "", missingf("no PXE artifacts: set ALTCOS_VMTEST_PXE_DIR (make pxe builds them)")
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", "", err
	}
	var kernels, initrds, rootfs []string
	for _, e := range ents {
		n := e.Name()
		switch {
		case strings.Contains(n, "vmlinuz") || strings.Contains(n, "kernel"):
			kernels = append(kernels, filepath.Join(dir, n))
		case strings.Contains(n, "rootfs"):
			rootfs = append(rootfs, filepath.Join(dir, n))
		case strings.Contains(n, "initr") || strings.HasSuffix(n, ".cpio") || strings.HasSuffix(n, ".img"):
			initrds = append(initrds, filepath.Join(dir, n))
		}
	}
	// Builds of several versions may share the folder: take the files of
	// the version its deploy.json names.
	if len(kernels) > 1 || len(initrds) > 1 || len(rootfs) > 1 {
		if m, err := pxeManifest(dir); err == nil {
			kernels, initrds, rootfs = withVersion(kernels, m.Version), withVersion(initrds, m.Version), withVersion(rootfs, m.Version)
		}
	}
	if len(kernels) != 1 || len(initrds) != 1 || len(rootfs) > 1 {
		return "", "", fmt.Errorf("PXE folder %s must hold one kernel (*vmlinuz*, *kernel*), one live initramfs (*initr*, *.img) and at most one rootfs (*rootfs*); it has %d, %d and %d: keep one version", dir, len(kernels), len(initrds), len(rootfs))
	}
	kernel = kernels[0]
	// The live initramfs first, the deploy archive's rootfs after it.
	initrds = append(initrds, rootfs...)
	initrd = filepath.Join(env.Out, "pxe-initrd.img")
	out, err := os.Create(initrd)
	if err != nil {
		return "", "", err
	}
	defer out.Close()
	var off int64
	for _, p := range initrds {
		// Each archive starts 4-byte aligned: the kernel skips zero bytes
		// between archives but reads a header only at such an offset
		// ("invalid magic at start of compressed archive" otherwise).
		if pad := (4 - off%4) % 4; pad > 0 {
			if _, err := out.Write(make([]byte, pad)); err != nil {
				return "", "", err
			}
			off += pad
		}
		in, err := os.Open(p)
		if err != nil {
			return "", "", err
		}
		n, err := out.ReadFrom(in)
		in.Close()
		if err != nil {
			return "", "", err
		}
		off += n
	}
	return kernel, initrd, out.Close()
}

// pxeManifest reads the deploy archive manifest of a PXE folder.
func pxeManifest(dir string) (deployarchive.Manifest, error) {
	ms, _ := filepath.Glob(filepath.Join(dir, "*"+deployarchive.ManifestName))
	var newest deployarchive.Manifest
	var when time.Time
	var err error = fmt.Errorf("no %s in %s", deployarchive.ManifestName, dir)
	for _, p := range ms {
		m, rerr := readManifest(p)
		fi, serr := os.Stat(p)
		if rerr == nil && serr == nil && fi.ModTime().After(when) {
			newest, when, err = m, fi.ModTime(), nil
		}
	}
	return newest, err
}

func withVersion(paths []string, version string) []string {
	var out []string
	for _, p := range paths {
		if strings.Contains(filepath.Base(p), version) {
			out = append(out, p)
		}
	}
	return out
}

// pxeMachine is a PXE-style boot of the live system with kargs onto disk.
func pxeMachine(env *Env, name, kernel, initrd, disk string, kargs ...string) Config {
	c := env.machine(name, BIOS)
	c.Kernel, c.Initrd = kernel, initrd
	c.Append = joinKargs(append([]string{"console=ttyS0,115200n8"}, kargs...)...)
	c.NoReboot = true
	c.Net = true
	c.Drives = []Drive{{Path: disk, BootIndex: 1}}
	return c
}

// pxeInstallKargs are the kernel arguments of an unattended PXE install with
// the Ignition config at url.
func pxeInstallKargs(dev, url, hash string) []string {
	return []string{
		"altcos.inst.install_dev=" + dev,
		"altcos.inst.ignition_url=" + url,
		"altcos.inst.ignition_hash=" + hash,
		"altcos.inst.root_password_hash=" + RootPasswordHash,
		"altcos.inst.append_karg=" + SerialKarg,
	}
}

func pxeInstall(ctx context.Context, env *Env) error {
	kernel, initrd, err := pxeFiles(env)
	if err != nil {
		return err
	}
	srv, err := Serve(env.Log, map[string][]byte{"config.ign": VMTestIgnition})
	if err != nil {
		return err
	}
	defer srv.Close()
	disk := filepath.Join(env.Out, "disk.img")
	if err := BlankDisk(ctx, env.Log, disk, DiskSize); err != nil {
		return err
	}
	c := pxeMachine(env, "pxe-install", kernel, initrd, disk, pxeInstallKargs(env.targetDevice(), srv.GuestURL("config.ign"), "sha256-"+sha256Hex(VMTestIgnition))...)
	env.step("%s: PXE-style boot, Ignition from %s", c.Name, srv.GuestURL("config.ign"))
	m, err := Start(ctx, env.Log, c)
	if err != nil {
		return err
	}
	defer m.Close()
	if err := runInstall(ctx, env, m); err != nil {
		return err
	}
	m.Close()
	if n := srv.Hits("config.ign"); n < 1 {
		return fmt.Errorf("the installer never fetched %s", srv.GuestURL("config.ign"))
	}
	want, err := env.expected(ctx)
	if err != nil {
		return err
	}
	return checkInstalled(ctx, env, env.diskMachine("pxe-disk", BIOS, disk, "raw"), want, Account{User: "root", Password: RootPassword}, srv)
}

// badInput boots a PXE-style install that must refuse (the installer prints
// why, naming wantWhy), and checks that the disk is byte-identical.
func badInput(ctx context.Context, env *Env, name string, srv *Server, url, hash string, wantWhy []string) error {
	kernel, initrd, err := pxeFiles(env)
	if err != nil {
		return err
	}
	disk := filepath.Join(env.Out, "disk.img")
	if err := BlankDisk(ctx, env.Log, disk, DiskSize); err != nil {
		return err
	}
	// A disk with content: a blank one would hide writes of zeros.
	if err := scribble(disk); err != nil {
		return err
	}
	before, err := DiskDigest(disk)
	if err != nil {
		return err
	}
	c := pxeMachine(env, name, kernel, initrd, disk, pxeInstallKargs(env.targetDevice(), url, hash)...)
	env.step("%s: PXE-style install with Ignition %s (must be refused)", name, url)
	m, err := Start(ctx, env.Log, c)
	if err != nil {
		return err
	}
	defer m.Close()
	r, err := m.Expect(ctx, "the installer refuses", installTimeout, []string{liveInstallFailed}, liveInstallDone, installerDone, "Kernel panic")
	if err != nil {
		return err
	}
	why := r.Before
	found := false
	for _, w := range wantWhy {
		if strings.Contains(why, w) {
			found = true
		}
	}
	if !found {
		return m.Fail("the installer says why", fmt.Errorf("the console before %q names none of %q", liveInstallFailed, wantWhy))
	}
	m.Close()
	after, err := DiskDigest(disk)
	if err != nil {
		return err
	}
	if before != after {
		return fmt.Errorf("%s: disk %s changed (digest %s before, %s after); the installer wrote before refusing", name, disk, before, after)
	}
	env.step("%s: refused, and the disk is byte-identical (sha256 over its data %s)", name, short(after))
	return nil
}

// scribble writes a recognizable pattern at the start, middle and end of disk.
func scribble(disk string) error {
	f, err := os.OpenFile(disk, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	pat := []byte(strings.Repeat("vmtest-untouched ", 64))
	for _, off := range []int64{0, st.Size() / 2, st.Size() - int64(len(pat))} {
		if _, err := f.WriteAt(pat, off); err != nil {
			return err
		}
	}
	return f.Close()
}

func badIgnitionURL(ctx context.Context, env *Env) error {
	// Port 9 (discard) on the host: nothing listens, the connection is refused.
	url := fmt.Sprintf("http://%s:9/config.ign", GuestHost)
	return badInput(ctx, env, "bad-url", nil, url, "sha256-"+sha256Hex(VMTestIgnition), []string{url, "10.0.2.2:9"})
}

func badIgnitionConfig(ctx context.Context, env *Env) error {
	srv, err := Serve(env.Log, map[string][]byte{"invalid.ign": InvalidIgnition})
	if err != nil {
		return err
	}
	defer srv.Close()
	// The right hash: the config is what was meant to be sent, and invalid.
	return badInput(ctx, env, "bad-config", srv, srv.GuestURL("invalid.ign"), "sha256-"+sha256Hex(InvalidIgnition), []string{"not absolute", "etc/not-absolute"})
}

// interactive drives the installer's prompts over the serial console.
func interactive(ctx context.Context, env *Env) error {
	if env.Art.ISO == "" {
		return missingf("no live ISO: set ALTCOS_VMTEST_ISO (make iso builds one)")
	}
	srv, err := Serve(env.Log, map[string][]byte{"config.ign": VMTestIgnition})
	if err != nil {
		return err
	}
	defer srv.Close()
	disk := filepath.Join(env.Out, "disk.img")
	if err := BlankDisk(ctx, env.Log, disk, DiskSize); err != nil {
		return err
	}
	c := env.machine("interactive-install", BIOS)
	c.NoReboot = true
	c.Net = true
	c.Drives = []Drive{{Path: disk, BootIndex: 2}, {Path: env.Art.ISO, CDROM: true, BootIndex: 1}}
	env.step("%s: booting the live ISO; choosing the menu's serial-console entry", c.Name)
	m, err := Start(ctx, env.Log, c)
	if err != nil {
		return err
	}
	defer m.Close()
	// The menu's serial-console entry (the second) puts the live console,
	// and so the installer's prompts, on ttyS0: Down, Enter.
	if _, err := m.Expect(ctx, "the live ISO's boot menu", liveBootTimeout, []string{"Install ALTCOS (serial console)"}); err != nil {
		return err
	}
	time.Sleep(time.Second)
	if err := m.Send("\x1b[B"); err != nil {
		return err
	}
	time.Sleep(500 * time.Millisecond)
	if err := m.Send("\r"); err != nil {
		return err
	}
	if _, err := m.Expect(ctx, "live system ready", liveBootTimeout, []string{liveReady}, "Kernel panic", liveNoMedium); err != nil {
		return err
	}
	// The live system's shell: start the installer without a disk, so it
	// asks. Type only once its line editor is drawn: keys sent while it
	// still queries the terminal (colours, cursor position) are lost.
	if _, err := m.Expect(ctx, "the live shell's prompt", liveBootTimeout, []string{"toggle key help"}); err != nil {
		return err
	}
	time.Sleep(2 * time.Second)
	cmd := fmt.Sprintf("altcos-installer install --ignition-url %s --ignition-hash sha256-%s --append-karg %s", srv.GuestURL("config.ign"), sha256Hex(VMTestIgnition), SerialKarg)
	if err := m.SendLine(cmd); err != nil {
		return err
	}
	if err := answerPrompts(ctx, env, m, installTimeout); err != nil {
		return err
	}
	if err := m.Wait(ctx, 3*time.Minute); err != nil && !m.Exited() {
		return err
	}
	m.Close()
	want, err := env.expected(ctx)
	if err != nil {
		return err
	}
	return checkInstalled(ctx, env, env.diskMachine("interactive-disk", BIOS, disk, "raw"), want, Account{User: "root", Password: RootPassword}, nil)
}

// A prompt of the installer and what the operator answers.
type prompt struct {
	label  string // as the installer prints it
	answer func(screen string) string
}

// installerPrompts are the installer's questions (installer/cli and
// installer/prompt): the disk, the root password twice, the wipe and the
// reboot confirmations.
var installerPrompts = []prompt{
	{"Install ALTCOS on which disk?", func(screen string) string {
		if strings.Contains(screen, "Enter a number") {
			return "1" // the plain-line prompter: the only usable disk is 1
		}
		return "" // promptui: the first disk is highlighted; Enter takes it
	}},
	{"Root password (empty", func(string) string { return RootPassword }},
	{"Root password again", func(string) string { return RootPassword }},
	{"Reboot now?", func(string) string { return "y" }},
	{"[y/N]", func(string) string { return "y" }},
}

// answerPrompts reads the console like an operator reads the screen: when it
// has been quiet for a moment, the lowest prompt on it that has not been
// answered yet is the question asked now, and it is answered once. Each
// question is asked once in an install that goes right; promptui redraws its
// prompts, and may draw a prompt's final state after the next prompt is
// already up, so a question seen again is a redraw, never a new question
// (answering it would put the password into the next one). It returns when
// the machine stops (the reboot, with NoReboot), or fails on the installer's
// error or at the deadline.
func answerPrompts(ctx context.Context, env *Env, m *Machine, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	answeredAt, answered := 0, map[string]bool{}
	for !m.Exited() {
		if time.Now().After(deadline) {
			return m.Fail("answer the installer's prompts", fmt.Errorf("no reboot after %s: %w", timeout, ErrTimeout))
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		m.settle(1500*time.Millisecond, 10*time.Second)
		out := m.Console.Output()
		if len(out) == answeredAt {
			time.Sleep(time.Second)
			continue
		}
		screen := Tail(out[answeredAt:], 60)
		// The installer's errors start with its name; the live shell is back.
		for _, bad := range []string{"altcos-installer: ", "Kernel panic"} {
			if i := strings.LastIndex(screen, bad); i >= 0 {
				return m.Fail("answer the installer's prompts", fmt.Errorf("the installer stopped: %q", firstLine(screen[i:])))
			}
		}
		best := pickPrompt(screen, answered)
		if best < 0 {
			time.Sleep(time.Second)
			continue
		}
		p := installerPrompts[best]
		answered[p.label] = true
		a := p.answer(screen)
		shown := a
		if strings.HasPrefix(p.label, "Root password") {
			shown = "(the root password)"
		}
		env.step("%s: prompt %q: answering %q", m.Name, p.label, shown)
		if err := m.SendLine(a); err != nil {
			return err
		}
		answeredAt = len(out)
	}
	return nil
}

// pickPrompt is the index in installerPrompts of the question on screen to
// answer now, or -1: the unanswered prompt on the lowest line; on one line
// ("Reboot now? [y/N]") the more specific label, listed first.
func pickPrompt(screen string, answered map[string]bool) int {
	best, at := -1, -1
	for i, p := range installerPrompts {
		if answered[p.label] {
			continue
		}
		j := strings.LastIndex(screen, p.label)
		if j < 0 {
			continue
		}
		if line := strings.LastIndex(screen[:j], "\n") + 1; line > at {
			best, at = i, line
		}
	}
	return best
}

// qcow2 boots a copy-on-write overlay of the QCOW2 image with Ignition on fw_cfg.
func qcow2(ctx context.Context, env *Env) error {
	if env.Art.QCOW2 == "" {
		return missingf("no QCOW2 image: set ALTCOS_VMTEST_QCOW2 (make qcow2 builds one)")
	}
	// A QCOW2 image is installed without a root password: the config sets it.
	withRoot, err := IgnitionWithRootPassword(VMTestIgnition, RootPasswordHash)
	if err != nil {
		return err
	}
	ign, err := env.writeFile("vmtest-root.ign", withRoot)
	if err != nil {
		return err
	}
	overlay := filepath.Join(env.Out, "disk.qcow2")
	abs, err := filepath.Abs(env.Art.QCOW2)
	if err != nil {
		return err
	}
	if err := run.Run(ctx, env.Log, run.Cmd{Argv: []string{"qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", abs, overlay}}); err != nil {
		return fmt.Errorf("overlay of %s: %w", env.Art.QCOW2, err)
	}
	c := env.diskMachine("qcow2", BIOS, overlay, "qcow2")
	c.FwCfg = map[string]string{"opt/com.coreos/config": ign}
	srv, err := Serve(env.Log, nil)
	if err != nil {
		return err
	}
	defer srv.Close()
	want, err := env.expected(ctx)
	if err != nil {
		return err
	}
	return checkInstalled(ctx, env, c, want, Account{User: "root", Password: RootPassword}, srv)
}

// noBootCode fails when the MBR boot code area (the first
// bootloader.MBRCodeSize bytes) of the disk image holds anything.
func noBootCode(disk string) error {
	f, err := os.Open(disk)
	if err != nil {
		return err
	}
	defer f.Close()
	code := make([]byte, bootloader.MBRCodeSize)
	if _, err := io.ReadFull(f, code); err != nil {
		return fmt.Errorf("read the MBR of %s: %w", disk, err)
	}
	for i, b := range code {
		if b != 0 {
			return fmt.Errorf("%s: the MBR holds boot code (byte %d is %#x) after a power cut during the deploy: a BIOS would boot a half-installed disk", disk, i, b)
		}
	}
	return nil
}

// powerCut kills QEMU while the installer deploys, then checks that the disk
// does not boot ALTCOS and that a second install onto it succeeds.
func powerCut(ctx context.Context, env *Env) error {
	kernel, initrd, err := pxeFiles(env)
	if err != nil {
		return err
	}
	srv, err := Serve(env.Log, map[string][]byte{"config.ign": VMTestIgnition})
	if err != nil {
		return err
	}
	defer srv.Close()
	disk := filepath.Join(env.Out, "disk.img")
	if err := BlankDisk(ctx, env.Log, disk, DiskSize); err != nil {
		return err
	}
	kargs := pxeInstallKargs(env.targetDevice(), srv.GuestURL("config.ign"), "sha256-"+sha256Hex(VMTestIgnition))
	m, err := Start(ctx, env.Log, pxeMachine(env, "powercut-install", kernel, initrd, disk, kargs...))
	if err != nil {
		return err
	}
	defer m.Close()
	if _, err := m.Expect(ctx, "the installer starts the deploy", installTimeout, []string{"] deploy"}, liveInstallFailed, liveInstallDone, installerDone); err != nil {
		return err
	}
	// Into the deploy: its first progress line, or a few seconds, whichever
	// comes first; the archive is then half written.
	_, _ = m.Console.Expect(ctx, 5*time.Second, []string{"deploy: "}, nil)
	env.step("powercut: killing QEMU during the deploy")
	m.Kill()
	m.Close()
	// What a firmware looks for: BIOS runs the MBR's boot code, which the
	// installer writes only after the deploy, with GRUB; it must be zeros.
	if err := noBootCode(disk); err != nil {
		return err
	}

	c := env.diskMachine("powercut-boot", BIOS, disk, "raw")
	c.NoReboot = true
	b, err := Start(ctx, env.Log, c)
	if err != nil {
		return err
	}
	defer b.Close()
	_, err = b.Expect(ctx, "the cut disk must not boot ALTCOS", 3*time.Minute, []string{"No bootable device", "Boot failed", "grub rescue>", "error: "}, "login: ", "Welcome to")
	if err != nil && !errors.Is(err, ErrTimeout) {
		return err
	}
	b.Close()
	env.step("powercut: the cut disk does not boot ALTCOS; installing again")

	m2, err := Start(ctx, env.Log, pxeMachine(env, "powercut-reinstall", kernel, initrd, disk, kargs...))
	if err != nil {
		return err
	}
	defer m2.Close()
	return runInstall(ctx, env, m2)
}
