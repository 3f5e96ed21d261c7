// Package live is the live system's init (cmd/altcos-live, PID 1). It
//
//  1. prints the hints (how to list disks, fetch a config, install, make a
//     password hash) at once,
//  2. loads the kernel modules listed in the initramfs (with modules.dep),
//  3. finds the medium it booted from and makes it visible at
//     deployarchive.LiveMount: the PXE second initrd already put the deploy
//     archive there; otherwise the ISO is found by its volume label and
//     mounted read-only; then prints where the archive is and its OS,
//  4. brings the network up in the background: ip= and nameserver= of the
//     kernel command line (dracut's syntax, package netconf), else DHCP on
//     every link,
//  5. installs unattended when the medium carries an `iso customize`
//     file or altcos.inst.install_dev is on the kernel command line; on error
//     it prints the cause and returns, and u-root's init starts the shell.
//
// Whatever Run returns, the init then keeps a shell on every console
// (ShellForever: tty0 and ttyS0 alike), so a failed install leaves the
// operator at a prompt wherever the operator sits.
package live

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/deployarchive"
	"github.com/altcos/altcos-tools/initramfs/live/netconf"
	"github.com/altcos/altcos-tools/installer/kargs"
	"github.com/altcos/altcos-tools/internal/stdio"
)

// ReadyMarker starts the hints; machine tests and the boot benchmark wait for it.
const ReadyMarker = "ALTCOS live system ready"

// LabelPrefix starts the volume label of every ALTCOS ISO.
const LabelPrefix = "ALTCOS"

// Env is what the live program talks to; tests replace the system calls.
type Env struct {
	// Root is where /proc, /sys, /dev and /etc are found ("" is /).
	Root string
	stdio.Stdio
	// LoadModules loads the named modules with their dependencies.
	LoadModules func(names []string) []error
	// Mount mounts an iso9660 device read-only at dir.
	Mount func(dev, dir string) error
	// Command runs a program with the live console attached.
	Command func(ctx context.Context, name string, args ...string) error
	// Background starts a program and does not wait for it.
	Background func(name string, args ...string) error
	// Reboot restarts the machine.
	Reboot func() error
	// MediumWait bounds the search for the ISO (devices show up while
	// their drivers probe).
	MediumWait time.Duration
}

func (e *Env) path(p string) string { return filepath.Join(e.Root, p) }

// kmsg writes a line to the kernel log (best effort): on the console it
// carries the time since the kernel started, which shows where boot time goes.
func (e *Env) kmsg(format string, args ...any) {
	k, err := os.OpenFile(e.path("/dev/kmsg"), os.O_WRONLY, 0)
	if err != nil {
		return
	}
	fmt.Fprintf(k, "altcos-live: "+format+"\n", args...)
	k.Close()
}

// Run is the live program; args ["late"] is the background part (the
// remaining modules, then DHCP).
func Run(ctx context.Context, args []string, env Env) error {
	out := env.Out
	env.kmsg("started")
	cmdline, err := os.ReadFile(env.path("/proc/cmdline"))
	if err != nil {
		return fmt.Errorf("read the kernel command line: %w", err)
	}
	karg, err := kargs.Parse(string(cmdline))
	if err != nil {
		return fmt.Errorf("kernel command line: %w; boot again with it fixed", err)
	}
	flag := func(names ...string) (string, bool) {
		for _, a := range karg {
			for _, n := range names {
				if a.Key == n {
					return a.Value, true
				}
			}
		}
		return "", false
	}

	if len(args) > 0 && args[0] == "late" {
		// Started in the background after the hints: the rest of the
		// modules, then DHCP, which needs the network drivers.
		loadModules(env, earlyModules)
		loadModules(env, lateModules)
		waitForNetwork(env, 3*time.Second)
		// A customization's network units apply to an interactive boot too.
		var cfg *netconf.Config
		_, custom, err := findCustomization(env)
		if err == nil {
			cfg, err = networkConfig(karg, custom)
		}
		if err == nil {
			err = bringUpNetwork(ctx, env, cfg)
		}
		if err != nil {
			return fmt.Errorf("network: %w; configure it by hand (ip, dhclient)", err)
		}
		return nil
	}

	// A bad ip= or nameserver= is said on the console at once (the network
	// comes up in the background, whose output goes to a log).
	if _, err := netconf.ParseKargs(karg); err != nil {
		fmt.Fprintf(out, "altcos-live: %v; the network is not configured: boot again with it fixed\n", err)
	}

	if _, rescue := flag("altcos.live.rescue"); rescue {
		earlyDrivers(env)
		fmt.Fprintln(out, "altcos-live: rescue shell (altcos.live.rescue); nothing is installed.")
		return nil
	}

	// 1. The hints first: they need nothing from the hardware, and under
	// emulation the drivers' probes and the medium search take a second or
	// more. The marker also goes to the kernel log, where it carries the
	// time since the kernel started (the boot benchmark reads it).
	fmt.Fprint(out, Hints())
	env.kmsg("%s", ReadyMarker)

	// 2. The kernel modules for the disks and the boot medium present.
	cp := earlyDrivers(env)

	// 3. The medium, and what it holds: the operator's last line.
	label, _ := flag("altcos.live.label")
	medium, mediumErr := findMedium(env, label, cp)
	if mediumErr != nil {
		fmt.Fprintf(out, "altcos-live: %v\n", mediumErr)
	} else {
		env.kmsg("boot medium: %s %s", medium.Kind, medium.Device)
	}
	fmt.Fprint(out, MediumLines(medium, manifest(env)))

	// 5. Unattended install: by the medium's (or a PXE initramfs's)
	// customization, by kernel arguments, or by installer.d YAML files.
	installArgs, custom, err := unattended(env, flag)
	if err != nil {
		return err
	}
	if installArgs == nil {
		// 4. The other modules and DHCP, in the background: the operator
		// reads the hints meanwhile.
		if env.Background != nil {
			if err := env.Background("altcos-live", "late"); err != nil {
				fmt.Fprintf(out, "altcos-live: no network: %v\n", err)
			}
		}
		return nil
	}
	// 4. The installer needs them all, and the network for its URLs.
	loadModules(env, earlyModules)
	loadModules(env, lateModules)
	waitForNetwork(env, 3*time.Second)
	cfg, err := networkConfig(karg, custom)
	if err == nil {
		err = bringUpNetwork(ctx, env, cfg)
	}
	if err != nil {
		return fmt.Errorf("network: %w; nothing was installed", err)
	}
	if err := env.Command(ctx, "altcos-installer", installArgs...); err != nil {
		fmt.Fprintf(out, "\naltcos-live: UNATTENDED INSTALL FAILED: %v\n", err)
		fmt.Fprintf(out, "altcos-live: the installer printed the cause above. Fix it and run:\n    altcos-installer %s\n", strings.Join(installArgs, " "))
		return fmt.Errorf("unattended install: %w", err)
	}
	_, skip := flag("altcos.inst.skip_reboot", "coreos.inst.skip_reboot")
	if skip {
		fmt.Fprintln(out, "altcos-live: install finished; not rebooting (skip_reboot).")
		return nil
	}
	fmt.Fprintln(out, "altcos-live: install finished; rebooting.")
	if env.Reboot != nil {
		return env.Reboot()
	}
	return nil
}

// Module lists written by the initramfs build (initramfs.ModulesListPath).
const (
	earlyModules = "/etc/altcos/live-modules"
	lateModules  = "/etc/altcos/live-modules-late"
)

// earlyDrivers loads the drivers of the hardware present among the early
// modules, and the early modules no device asks for (the ISO filesystem);
// without modules.alias, all early modules. The returned coldplug (or nil)
// keeps serving devices that appear while the medium is searched for.
func earlyDrivers(env Env) *coldplug {
	data, err := os.ReadFile(env.path(earlyModules))
	if err != nil {
		return nil
	}
	names := strings.Fields(string(data))
	cp := newColdplug(env, names)
	if cp == nil {
		loadModules(env, earlyModules)
		return nil
	}
	// The filesystem modules load together with the first drivers: a
	// driver's probe sleeps (ATA resets) while the others load.
	first := append(cp.unconditional(), cp.match(env)...)
	n := len(first)
	if len(first) > 0 && env.LoadModules != nil {
		for _, err := range env.LoadModules(first) {
			env.warn("%v", err)
		}
	}
	for i := 0; i < 5; i++ {
		k := cp.step(env)
		if k == 0 {
			break
		}
		n += k
	}
	env.kmsg("%d kernel modules for the hardware present loaded", n)
	return cp
}

func (e *Env) warn(format string, args ...any) {
	fmt.Fprintf(e.Out, "altcos-live: warning: "+format+"\n", args...)
}

// waitForNetwork waits a little for a network interface besides lo: the
// drivers just loaded register theirs while they probe.
func waitForNetwork(env Env, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		entries, _ := os.ReadDir(env.path("/sys/class/net"))
		for _, e := range entries {
			if e.Name() != "lo" {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func loadModules(env Env, list string) {
	data, err := os.ReadFile(env.path(list))
	if err != nil || env.LoadModules == nil {
		return
	}
	names := strings.Fields(string(data))
	for _, err := range env.LoadModules(names) {
		fmt.Fprintf(env.Out, "altcos-live: warning: %v\n", err)
	}
	env.kmsg("%d kernel modules of %s loaded", len(names), list)
}

// Medium says where the deploy archive came from.
type Medium struct {
	Kind   string // "iso" or "pxe"
	Device string // the ISO's device
	Label  string
}

// findMedium makes the boot medium visible at LiveMount.
func findMedium(env Env, label string, cp *coldplug) (*Medium, error) {
	manifest := filepath.Join(deployarchive.LiveMount, deployarchive.MediumDir, deployarchive.ManifestName)
	if _, err := os.Stat(env.path(manifest)); err == nil {
		// The PXE second initrd unpacked the archive right there.
		return &Medium{Kind: "pxe"}, nil
	}
	deadline := time.Now().Add(env.MediumWait)
	for {
		dev, l, err := findISO(env, label)
		if err != nil {
			return nil, err
		}
		if dev != "" {
			if err := os.MkdirAll(env.path(deployarchive.LiveMount), 0o755); err != nil {
				return nil, err
			}
			if err := env.Mount(dev, env.path(deployarchive.LiveMount)); err != nil {
				return nil, fmt.Errorf("mount the boot medium %s (%s) at %s: %w", dev, l, deployarchive.LiveMount, err)
			}
			return &Medium{Kind: "iso", Device: dev, Label: l}, nil
		}
		if !time.Now().Before(deadline) {
			want := "a volume label starting with " + LabelPrefix
			if label != "" {
				want = "the volume label " + label
			}
			return nil, fmt.Errorf("no boot medium: no ISO with %s and no PXE deploy archive; install with --image-url (altcos.inst.image_url)", want)
		}
		if cp != nil {
			cp.step(env) // e.g. sr_mod once the ATA probe shows the CD drive
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// findISO looks at every block device for an iso9660 volume label: label
// itself when given, else one starting with LabelPrefix. Whole disks sort
// before their partitions, so a USB stick is mounted as a whole.
func findISO(env Env, label string) (dev, found string, err error) {
	entries, err := os.ReadDir(env.path("/sys/class/block"))
	if err != nil {
		return "", "", fmt.Errorf("list block devices: %w", err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, n := range names {
		if strings.HasPrefix(n, "loop") || strings.HasPrefix(n, "ram") {
			continue
		}
		dev := "/dev/" + n
		l, err := ISOLabel(env.path(dev))
		if err != nil || l == "" {
			continue
		}
		if (label != "" && l == label) || (label == "" && strings.HasPrefix(l, LabelPrefix)) {
			return dev, l, nil
		}
	}
	return "", "", nil
}

// ISOLabel reads the volume identifier of an iso9660 filesystem at the
// start of the file or device p, or "" when there is none.
func ISOLabel(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	// The primary volume descriptor is sector 16 (2048-byte sectors).
	pvd := make([]byte, 2048)
	if _, err := f.ReadAt(pvd, 16*2048); err != nil {
		if errors.Is(err, io.EOF) {
			return "", nil
		}
		return "", err
	}
	if pvd[0] != 1 || string(pvd[1:6]) != "CD001" {
		return "", nil
	}
	return strings.TrimRight(string(pvd[40:72]), " \x00"), nil
}

func manifest(env Env) *deployarchive.Manifest {
	data, err := os.ReadFile(env.path(filepath.Join(deployarchive.LiveMount, deployarchive.MediumDir, deployarchive.ManifestName)))
	if err != nil {
		return nil
	}
	var m deployarchive.Manifest
	if json.Unmarshal(data, &m) != nil {
		return nil
	}
	return &m
}

// MediumLines say, once the medium search is over, where the deploy archive
// is and which OS it installs (printed after the hints); without a medium
// (findMedium's error says so) nothing.
func MediumLines(medium *Medium, m *deployarchive.Manifest) string {
	var b bytes.Buffer
	switch {
	case medium == nil:
		return ""
	case medium.Kind == "pxe":
		fmt.Fprintf(&b, "altcos-live: deploy archive from the PXE initrd, at %s\n", deployarchive.LiveMount)
	default:
		fmt.Fprintf(&b, "altcos-live: boot medium %s (%s) mounted at %s\n", medium.Device, medium.Label, deployarchive.LiveMount)
	}
	if m != nil {
		fmt.Fprintf(&b, "altcos-live: OS to install: %s %s (stream %s, commit %.12s)\n", m.OSName, m.Version, m.Stream, m.Commit)
	}
	return b.String()
}

// Hints is what the operator reads on the console, printed before the
// medium is known (MediumLines follow).
func Hints() string {
	return "\n" + ReadyMarker + `

  List the disks:              altcos-installer list-disks
  Check a config:              altcos-installer validate config.ign   (or a Butane config.bu)
  Install with a config from
    the web:                   altcos-installer install -I https://example.com/config.ign /dev/vda
    another machine (scp):     altcos-installer install -i user@host:config.ign /dev/vda
    a file:                    altcos-installer install -i /tmp/config.ign /dev/vda
  Install with an example:     altcos-installer install -i ` + altcos.PasswordExample + ` /dev/vda
                               (the user altcos gets the password 1; more in ` + altcos.ExamplesDir + `)
  Install, asking for what is missing:
                               altcos-installer install
  Make a password hash:        altcos-installer hash-password
  More:                        altcos-installer install --help; the network comes up by DHCP
                               or ip= (ip addr); reboot with: shutdown -r

`
}

// DefaultCommand runs name with the console attached.
func DefaultCommand(io stdio.Stdio) func(ctx context.Context, name string, args ...string) error {
	return func(ctx context.Context, name string, args ...string) error {
		c := exec.CommandContext(ctx, name, args...)
		c.Stdin, c.Stdout, c.Stderr = io.In, io.Out, io.Err
		return c.Run()
	}
}
