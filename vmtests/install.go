package vmtests

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/vmtests/qemu"
)

// customizeISO makes a copy of iso that installs unattended with the
// Ignition config ign and the other `altcos-build iso customize` options
// opts (ALTCOS_TOOL_ALTCOS_BUILD names the program).
func customizeISO(ctx context.Context, env *Env, iso, out, ign string, opts ...string) error {
	argv := append([]string{"altcos-build", "iso", "customize", "--dest-ignition", ign}, opts...)
	argv = append(argv, "-o", out, iso)
	if err := run.Run(ctx, env.Log, run.Cmd{Argv: argv}); err != nil {
		return fmt.Errorf("customize the live ISO: %w", err)
	}
	return nil
}

// The ISO scenarios' customization beyond the Ignition config: the target
// named by an installer config alone (no --dest-device), the installed
// system's console by --dest-console (not the live system's two), and a
// post-install hook run from the medium that tags the installed /etc.
const (
	destConsole   = "ttyS0,115200n8"
	hookTag       = "/etc/altcos-vmtest-hook"
	customizeLive = "unattended install onto the disk of its installer configs"
	postInstall   = "#!/bin/sh\n# embedded by iso customize --post-install (vmtests)\necho \"$ALTCOS_INSTALL_DEV\" > \"$ALTCOS_INSTALL_DEPLOYMENT" + hookTag + "\"\n"
)

// customizeOptions writes the installer config and the hook for target and
// returns their iso customize options.
func (e *Env) customizeOptions(target string) ([]string, error) {
	cfg, err := e.writeFile("installer-target.yaml", []byte("dest-device: "+target+"\n"))
	if err != nil {
		return nil, err
	}
	hook, err := e.writeFile("post-install.sh", []byte(postInstall))
	if err != nil {
		return nil, err
	}
	return []string{"--installer-config", cfg, "--dest-console", destConsole, "--post-install", hook}, nil
}

// checkCustomized reads the customization back on the installed system:
// its only console= is --dest-console's, and the hook ran on target.
func checkCustomized(target string) func(context.Context, *Env, *checks, *qemu.Server) error {
	return func(ctx context.Context, env *Env, c *checks, _ *qemu.Server) error {
		ok1, err := c.expect(ctx, "the installed system's consoles (iso customize --dest-console)", "tr ' ' '\\n' < /proc/cmdline | grep '^console='", commandTimeout, "console="+destConsole)
		if err != nil {
			return err
		}
		ok2, err := c.expect(ctx, "the embedded post-install hook ran (iso customize --post-install)", "cat "+hookTag, commandTimeout, target)
		if ok1 && ok2 {
			env.step("%s: ok: console=%s only (--dest-console), the medium's post-install hook tagged %s (target %s from --installer-config)", c.m.Name, destConsole, hookTag, target)
		}
		return err
	}
}

// runInstall waits for the live system's unattended install to finish and
// the machine to reboot (it runs with NoReboot, so QEMU exits).
func runInstall(ctx context.Context, env *Env, m *qemu.Machine, fail ...string) error {
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

// isoMenuEntry is the live ISO menu's last-drawn live entry (bootmenu.ISO):
// when it shows on the serial console the menu is up.
const isoMenuEntry = "Install ALTCOS (serial console)"

// pickDefaultEntry presses Enter at the live ISO's boot menu as soon as it is
// drawn, instead of waiting out its timeout (10 s, the product's behaviour):
// the entry booted is the same default, a little sooner. When the kernel
// starts without the menu showing on the serial console, it does nothing.
func pickDefaultEntry(ctx context.Context, m *qemu.Machine) {
	r, err := m.Console.Expect(ctx, 3*time.Minute, []string{isoMenuEntry, "Linux version "}, nil)
	if err == nil && r.Found == isoMenuEntry {
		_ = m.Send("\r")
	}
}

// diskMachine is the installed disk booting alone.
func (e *Env) diskMachine(name string, fw qemu.Firmware, disk, format string) qemu.Config {
	c := e.machine(name, fw)
	c.Drives = []qemu.Drive{{Path: disk, Format: format, BootIndex: 1}}
	c.Net = true
	return c
}

// qcow2Machine boots a copy-on-write overlay of the QCOW2 image (the image
// itself stays clean) under the firmware fw with the Ignition config ign
// passed through fw_cfg, as a cloud would.
func (e *Env) qcow2Machine(ctx context.Context, name string, fw qemu.Firmware, ign string) (qemu.Config, error) {
	overlay := filepath.Join(e.Out, "disk.qcow2")
	if err := qemu.Overlay(ctx, e.Log, e.Art.QCOW2, overlay); err != nil {
		return qemu.Config{}, err
	}
	c := e.diskMachine(name, fw, overlay, "qcow2")
	c.FwCfg = map[string]string{"opt/com.coreos/config": ign}
	return c, nil
}

// serveConfigOnBlankDisk serves testdata/vmtest.ign as config.ign from the
// host and makes the blank target disk: the start of the installs that fetch
// their config over the network. The caller closes srv.
func serveConfigOnBlankDisk(ctx context.Context, env *Env) (srv *qemu.Server, disk string, err error) {
	srv, err = qemu.Serve(env.Log, map[string][]byte{"config.ign": vmtestIgnition})
	if err != nil {
		return nil, "", err
	}
	disk = filepath.Join(env.Out, "disk.img")
	if err := qemu.BlankDisk(ctx, env.Log, disk, diskSize); err != nil {
		srv.Close()
		return nil, "", err
	}
	return srv, disk, nil
}

// configInstallKargs are the kernel arguments of an unattended install
// with config.ign of srv (serveConfigOnBlankDisk) and its hash.
func configInstallKargs(env *Env, srv *qemu.Server) []string {
	return pxeInstallKargs(env.targetDevice(), srv.GuestURL("config.ign"), "sha256-"+sha256Hex(vmtestIgnition))
}

// hardware is where an ISO install's live medium and target disk sit: the
// real-machine paths (a SATA CD-ROM, a USB stick, a SATA disk) ride on the
// ISO scenarios instead of costing boots of their own.
type hardware struct {
	Medium string // the live ISO: "cdrom-ahci" (a SATA CD-ROM), "cdrom-virtio-scsi" or "usb" (the ISO written to a USB stick)
	Disk   string // the target's bus: virtio or ahci
	Target string // the target's name in the live system
}

func (h hardware) String() string {
	return fmt.Sprintf("live ISO on %s, target %s on %s", h.Medium, h.Target, h.Disk)
}

// drives returns the install machine's drives: the target first (boot index
// 2), then the medium (boot index 1).
func (h hardware) drives(disk, iso string) []qemu.Drive {
	d := []qemu.Drive{{Path: disk, Bus: h.Disk, BootIndex: 2}}
	switch h.Medium {
	case "usb":
		return append(d, qemu.Drive{Path: iso, Bus: "usb", ReadOnly: true, BootIndex: 1})
	case "cdrom-ahci":
		return append(d, qemu.Drive{Path: iso, CDROM: true, Bus: "ahci", BootIndex: 1})
	}
	return append(d, qemu.Drive{Path: iso, CDROM: true, BootIndex: 1})
}

// isoUnattended: customize the ISO, install from it, boot the disk, check.
func isoUnattended(ctx context.Context, env *Env, fw qemu.Firmware, hw hardware) error {
	if env.Art.ISO == "" {
		return missingf("no live ISO: give --iso or ALTCOS_VMTEST_ISO (make iso builds one)")
	}
	if err := needFirmware(fw); err != nil {
		return err
	}
	// An `iso customize` install sets no root password: the config does.
	ign, err := env.rootIgnition()
	if err != nil {
		return err
	}
	iso := filepath.Join(env.Out, "custom.iso")
	target := hw.Target
	if env.Break {
		target = brokenDisk
	}
	env.step("customizing the live ISO: install onto %s (an --installer-config) with testdata/vmtest.ign, --dest-console, a --post-install hook (%s)", target, hw)
	opts, err := env.customizeOptions(target)
	if err != nil {
		return err
	}
	if err := customizeISO(ctx, env, env.Art.ISO, iso, ign, opts...); err != nil {
		return err
	}
	disk := filepath.Join(env.Out, "disk.img")
	if err := qemu.BlankDisk(ctx, env.Log, disk, diskSize); err != nil {
		return err
	}
	c := env.machine(string(fw)+"-install", fw)
	c.NoReboot = true
	c.Net = true
	c.Drives = hw.drives(disk, iso)
	env.step("%s: booting the customized ISO (%s)", c.Name, fw)
	m, err := qemu.Start(ctx, env.Log, c)
	if err != nil {
		return err
	}
	defer m.Close()
	pickDefaultEntry(ctx, m)
	// Without its medium the live system cannot see the customization.
	if _, err := m.Expect(ctx, "the medium's customization", liveBootTimeout, []string{customizeLive}, liveNoMedium, liveInstallFailed); err != nil {
		return err
	}
	if err := runInstall(ctx, env, m, liveNoMedium); err != nil {
		return err
	}
	var more []func(context.Context, *Env, *checks, *qemu.Server) error
	if fw == qemu.UEFISecureBoot {
		if err := checkLiveSecureBoot(env, m); err != nil {
			return err
		}
		more = append(more, checkSecureBoot)
	}
	m.Close()
	srv, err := qemu.Serve(env.Log, nil)
	if err != nil {
		return err
	}
	defer srv.Close()
	dc := env.diskMachine(string(fw)+"-disk", fw, disk, "raw")
	dc.Drives[0].Bus = hw.Disk
	return checkAsRoot(ctx, env, dc, isoBoots(fw), srv, append([]func(context.Context, *Env, *checks, *qemu.Server) error{checkCustomized(target)}, more...)...)
}

// rootIgnition writes testdata/vmtest.ign with root's password hash added to
// the scenario's folder and returns its path: installs that set no root
// password themselves (iso customize, the QCOW2 image) get one this way.
func (e *Env) rootIgnition() (string, error) {
	withRoot, err := ignitionWithRootPassword(vmtestIgnition, rootPasswordHash)
	if err != nil {
		return "", err
	}
	return e.writeFile("vmtest-root.ign", withRoot)
}

// isoBoots: bios-unattended, the run's first install, also shows the
// second boot (Ignition does not run again); uefi-unattended's installed
// system is the same OS, so it stops after the first boot.
func isoBoots(fw qemu.Firmware) boots {
	if fw.IsUEFI() {
		return firstBootOnly
	}
	return withSecondBoot
}

// needFirmware skips a scenario whose UEFI firmware fw is not installed.
func needFirmware(fw qemu.Firmware) error {
	if !fw.IsUEFI() {
		return nil
	}
	if code, _ := qemu.OVMF(fw); code == "" {
		return skipf("no OVMF firmware for %s: install Debian's ovmf", fw)
	}
	return nil
}
