package vmtests

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/altcos/altcos-tools/internal/stdio"
)

// UsageError is a command line altcos-vmtest does not understand.
type UsageError = stdio.UsageError

const usage = `usage: altcos-vmtest COMMAND [flags]

commands:
  list                 the scenarios
  run [flags]          run scenarios against the given artifacts
  demo --iso ISO       install the ISO in QEMU, boot it, print ostree admin status
  smoke                boot a Debian kernel with a busybox initramfs (checks QEMU)

run flags:
  --iso FILE           live ISO (altcos-build iso)
  --pxe-dir DIR        PXE kernel, initramfs and deploy archive (altcos-build pxe)
  --qcow2 FILE         QCOW2 image (altcos-build qcow2)
  --manifest FILE      deploy.json whose commit and version the installs must show
  --repo DIR           ostree repository of the QCOW2's commit (update-rollback)
  --artifacts DIR      find what the flags above leave out in a build's output folder
  --scenario A,B|all   scenarios to run (default all)
  --budget DURATION    stop starting scenarios when less than one scenario's time is left (e.g. 80m or 4800)
  --out DIR            console logs and disks (default out/vmtest)
  --accel auto|tcg|kvm auto probes KVM with a short boot (default auto)
  --break              install onto /dev/nonexistent: the run must fail with the console tail
  --console            copy every console to standard output
`

// Command is altcos-vmtest with args (without the program name).
func Command(ctx context.Context, args []string, std stdio.Stdio) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(std.Out, usage)
		return nil
	}
	switch args[0] {
	case "list":
		for _, s := range Scenarios() {
			fmt.Fprintf(std.Out, "%-20s %s\n", s.Name, s.Doc)
		}
		return nil
	case "run", "demo", "smoke":
	default:
		return &UsageError{Msg: fmt.Sprintf("unknown command %q; run `altcos-vmtest help`", args[0])}
	}
	fs := flag.NewFlagSet("altcos-vmtest "+args[0], flag.ContinueOnError)
	fs.SetOutput(std.Err)
	var art Artifacts
	fs.StringVar(&art.ISO, "iso", os.Getenv("ALTCOS_VMTEST_ISO"), "live ISO")
	fs.StringVar(&art.PXEDir, "pxe-dir", os.Getenv("ALTCOS_VMTEST_PXE_DIR"), "PXE artifacts folder")
	fs.StringVar(&art.QCOW2, "qcow2", os.Getenv("ALTCOS_VMTEST_QCOW2"), "QCOW2 image")
	fs.StringVar(&art.Manifest, "manifest", os.Getenv("ALTCOS_VMTEST_MANIFEST"), "deploy archive manifest")
	fs.StringVar(&art.Repo, "repo", os.Getenv("ALTCOS_VMTEST_REPO"), "ostree repository of the QCOW2's commit (update-rollback)")
	artifacts := fs.String("artifacts", os.Getenv("ALTCOS_VMTEST_ARTIFACTS"), "build output folder to find artifacts in")
	scen := fs.String("scenario", "all", "scenarios")
	budget := fs.String("budget", os.Getenv("VMTEST_BUDGET_SECS"), "time budget")
	out := fs.String("out", filepath.Join("out", "vmtest"), "output folder")
	accel := fs.String("accel", envOr("ALTCOS_VMTEST_ACCEL", "auto"), "accelerator")
	brk := fs.Bool("break", os.Getenv("ALTCOS_VMTEST_BREAK") == "1", "break the installs on purpose")
	console := fs.Bool("console", false, "copy consoles to standard output")
	cache := fs.String("cache", filepath.Join(envOr("CACHE", ".cache"), "vmtest"), "cache folder (Debian kernel for smoke and the KVM probe)")
	if err := fs.Parse(args[1:]); err != nil {
		return &UsageError{Msg: err.Error()}
	}
	if fs.NArg() > 0 {
		return &UsageError{Msg: fmt.Sprintf("unexpected argument %q; artifacts are given with --iso, --pxe-dir, --qcow2", fs.Arg(0))}
	}
	if *artifacts != "" {
		art = art.Fill(Discover(*artifacts))
	}
	b, err := parseBudget(*budget)
	if err != nil {
		return &UsageError{Msg: err.Error()}
	}
	log := slog.New(slog.NewTextHandler(std.Err, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	chosen := *accel
	if chosen == "auto" || args[0] == "smoke" {
		kernel, err := DebianKernel(ctx, log, filepath.Join(*cache, "kernel"))
		if err != nil {
			return err
		}
		initrd := filepath.Join(*out, "smoke.cpio")
		if err := SmokeInitramfs(initrd, "/bin/busybox"); err != nil {
			return err
		}
		if args[0] == "smoke" {
			a := chosen
			if a == "auto" {
				a = "tcg"
			}
			took, err := SmokeBoot(ctx, log, *out, "smoke", a, kernel, initrd, 2*time.Minute)
			if err != nil {
				return err
			}
			fmt.Fprintf(std.Out, "smoke: %s kernel booted the busybox initramfs under %s in %s\n", filepath.Base(kernel), a, took.Round(time.Millisecond))
			return nil
		}
		fmt.Fprintln(std.Out, "vmtest: probing KVM with a short boot (killed after 8 s)")
		chosen = ProbeAccel(ctx, log, *out, kernel, initrd)
	}
	if chosen != "tcg" && chosen != "kvm" {
		return &UsageError{Msg: fmt.Sprintf("--accel %q: want auto, tcg or kvm", chosen)}
	}
	fmt.Fprintf(std.Out, "vmtest: accelerator %s\n", chosen)
	var echo io.Writer
	if *console {
		echo = std.Out
	}
	newEnv := func(name, dir string) *Env {
		return &Env{Log: log, Out: dir, Accel: chosen, Art: art, Echo: echo, Progress: std.Out, Break: *brk}
	}
	if args[0] == "demo" {
		dir := filepath.Join(*out, "demo")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		env := newEnv("demo", dir)
		if !*console {
			env.Echo = std.Out // the demo shows everything
		}
		disk, err := Demo(ctx, env)
		if err != nil {
			return err
		}
		fmt.Fprint(std.Out, "\n"+DemoLoginHint(disk))
		return nil
	}
	var names []string
	if *scen != "all" && *scen != "" {
		names = strings.Split(*scen, ",")
	}
	_, err = RunScenarios(ctx, RunOptions{Names: names, Budget: b, NewEnv: newEnv, Out: *out, Report: std.Out})
	return err
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// parseBudget reads a duration ("80m") or a number of seconds ("4800").
func parseBudget(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errors.New("--budget " + strconv.Quote(s) + ": want a duration like 80m or a number of seconds")
	}
	return d, nil
}
