package vmtests

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/vmtests/qemu"
)

// demoPasswordHash is the yescrypt hash of demoPassword.
const demoPasswordHash = "$y$j9T$81sY3q9KVjjpTiv2muQt0/$KYSXApw9nUU8DV3mi8MxwFn2MRgZ3xyeLKnTB36TPN3"

// DemoRun is what Demo did: the installed disk and how long each phase took
// (host steps, and each machine's phases named "<machine>: <phase>").
type DemoRun struct {
	Disk   string
	Phases []qemu.Span
}

// Demo is `make demo`'s machine part: install the live ISO unattended onto a
// blank disk with the demo Ignition config, boot the installed disk, log in,
// print `ostree admin status` from inside it, and say how to log in. Unless
// env.Echo copies the consoles whole, the install's console is shown
// filtered (progressLines: the live system's and the installer's lines);
// each console is kept in a log file named on the screen, and a failure
// carries its tail. When the live ISO does not find its own medium (a
// live-system bug) and a PXE folder of the same commit is given, it says so
// loudly and installs PXE-style instead. The DemoRun holds the phases
// measured so far, on failure too.
func Demo(ctx context.Context, env *Env) (*DemoRun, error) {
	r := &DemoRun{}
	env.Times = func(machine string, spans []qemu.Span) {
		for _, s := range spans {
			r.Phases = append(r.Phases, qemu.Span{Phase: machine + ": " + s.Phase, Took: s.Took})
		}
		env.step("%s: %s", machine, qemu.FormatSpans(spans))
	}
	if env.Art.ISO == "" && env.Art.PXEDir == "" {
		return r, fmt.Errorf("no live ISO or PXE folder given; build them with make iso pxe")
	}
	ign, err := ignitionWithRootPassword(demoIgnition, demoPasswordHash)
	if err != nil {
		return r, err
	}
	ignPath, err := env.writeFile("demo.ign", ign)
	if err != nil {
		return r, err
	}
	r.Disk = filepath.Join(env.Out, "disk.img")
	if err := qemu.BlankDisk(ctx, env.Log, r.Disk, diskSize); err != nil {
		return r, err
	}
	installed := false
	if env.Art.ISO != "" {
		err := demoFromISO(ctx, env, r, ignPath)
		switch {
		case err == nil:
			installed = true
		case env.Art.PXEDir != "" && strings.Contains(err.Error(), liveNoMedium):
			// Say it loudly: this is a bug of the live ISO, not a detail.
			env.step("THE LIVE ISO DID NOT FIND ITS OWN MEDIUM (see %s); installing the same commit PXE-style instead", filepath.Join(env.Out, "demo-install.console.log"))
			if err := qemu.BlankDisk(ctx, env.Log, r.Disk, diskSize); err != nil {
				return r, err
			}
		default:
			return r, err
		}
	}
	if !installed {
		if err := demoFromPXE(ctx, env, ign, r.Disk); err != nil {
			return r, err
		}
	}

	b := env.diskMachine("demo-disk", qemu.BIOS, r.Disk, "raw")
	env.step("booting the installed disk; console log %s", b.LogPath())
	vm, err := qemu.Start(ctx, env.Log, b)
	if err != nil {
		return r, err
	}
	defer vm.Close()
	t0 := time.Now()
	if err := waitForConsole(ctx, vm); err != nil {
		return r, err
	}
	sh, err := login(ctx, vm, "root", demoPassword, diskBootTimeout)
	if err != nil {
		return r, err
	}
	env.step("logged in as root after %s", timeSince(t0))
	st, err := sh.mustRun(ctx, "ostree admin status", commandTimeout)
	if err != nil {
		return r, err
	}
	if !strings.Contains(st, "* "+altcos.OSName+" ") {
		return r, checkFailed(vm, "ostree admin status", st, "a booted "+altcos.OSName+" deployment")
	}
	if env.Progress != nil {
		fmt.Fprintf(env.Progress, "\n===== ostree admin status, from inside the installed system =====\n%s\n==================================================================\n", st)
	}
	_ = vm.SendLine("poweroff")
	_ = vm.Wait(ctx, 2*time.Minute)
	vm.Close()
	return r, nil
}

// installEcho is where an install machine's console goes: all of it with
// env.Echo (a verbose run), else the lines a person follows (progressLines).
func (e *Env) installEcho() io.Writer {
	if e.Echo != nil || e.Progress == nil {
		return e.Echo
	}
	return &progressLines{w: e.Progress, prefix: "  | "}
}

func demoFromISO(ctx context.Context, env *Env, r *DemoRun, ignPath string) error {
	iso := filepath.Join(env.Out, "demo.iso")
	env.step("customizing %s: unattended install onto %s with the demo Ignition config", env.Art.ISO, env.targetDevice())
	var liveOpts []string
	if env.StreamBaseURL != "" {
		env.step("the install fetches the newest release of stream %s from %s (altcos-build serve on the host), signatures checked with the live system's release keys", env.Stream, env.StreamBaseURL)
		liveOpts = []string{"--live-karg-append", "altcos.inst.stream=" + env.Stream, "--live-karg-append", "altcos.inst.stream_base_url=" + env.StreamBaseURL}
	}
	t0 := time.Now()
	if err := customizeISO(ctx, env, env.Art.ISO, iso, ignPath, append([]string{"--dest-device", env.targetDevice(), "--dest-karg-append", serialKarg}, liveOpts...)...); err != nil {
		return err
	}
	r.Phases = append(r.Phases, qemu.Span{Phase: "customize the ISO", Took: time.Since(t0)})
	c := env.machine("demo-install", qemu.BIOS)
	c.NoReboot = true
	c.Net = true
	c.Echo = env.installEcho()
	c.Drives = []qemu.Drive{{Path: r.Disk, BootIndex: 2}, {Path: iso, CDROM: true, BootIndex: 1}}
	env.step("booting the live ISO in QEMU (%s); the install runs by itself; console log %s", env.Accel, c.LogPath())
	m, err := qemu.Start(ctx, env.Log, c)
	if err != nil {
		return err
	}
	defer m.Close()
	pickDefaultEntry(ctx, m)
	return runInstall(ctx, env, m, liveNoMedium)
}

func demoFromPXE(ctx context.Context, env *Env, ign []byte, disk string) error {
	kernel, initrd, err := pxeFiles(env)
	if err != nil {
		return err
	}
	srv, err := qemu.Serve(env.Log, map[string][]byte{"demo.ign": ign})
	if err != nil {
		return err
	}
	defer srv.Close()
	kargs := []string{
		"altcos.inst.install_dev=" + env.targetDevice(),
		"altcos.inst.ignition_url=" + srv.GuestURL("demo.ign"),
		"altcos.inst.ignition_hash=sha256-" + sha256Hex(ign),
		"altcos.inst.append_karg=" + serialKarg,
	}
	c := pxeMachine(env, "demo-pxe-install", kernel, initrd, disk, kargs...)
	c.Echo = env.installEcho()
	env.step("booting the live system PXE-style in QEMU (%s); the install runs by itself; console log %s", env.Accel, c.LogPath())
	m, err := qemu.Start(ctx, env.Log, c)
	if err != nil {
		return err
	}
	defer m.Close()
	return runInstall(ctx, env, m)
}

// DemoLoginHint says how to boot and log in to the demo's installed disk.
func DemoLoginHint(disk string) string {
	return fmt.Sprintf(`The installed disk is %s. Boot it and log in on the serial console:

    qemu-system-x86_64 -machine q35 -accel tcg,thread=multi -smp 2 -m 2048 -nographic \
        -drive file=%s,format=raw,if=virtio

  login: root    password: %s
  login: %s  password: %s   (set by the demo Ignition config)
Quit QEMU with Ctrl-A X.
`, disk, disk, demoPassword, demoUser, demoPassword)
}
