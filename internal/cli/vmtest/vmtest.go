// Package vmtestcli is altcos-vmtest, the command line of the machine tests
// (vmtests): it lists the scenarios, runs them against given artifacts within
// a time budget, runs the demo of `make demo`, and smoke-boots QEMU.
package vmtestcli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/internal/cli"
	"github.com/altcos/altcos-tools/internal/stdio"
	"github.com/altcos/altcos-tools/vmtests"
	"github.com/altcos/altcos-tools/vmtests/qemu"
)

const usage = `usage: altcos-vmtest COMMAND [flags]

commands:
  list                 the scenarios
  run [flags]          run scenarios against the given artifacts
  demo --iso ISO       install the ISO in QEMU, boot it, print ostree admin status
                       (--stream S --stream-base-url URL: the ISO installs S's newest release from URL;
                       the install's progress lines; --console: every console whole;
                       --phase-times FILE: earlier phases, "NAME<TAB>SECONDS" lines,
                       put first in the closing table of phase times)
  smoke                boot a Debian kernel with a busybox initramfs (checks QEMU)

run flags:
  --iso FILE           live ISO (altcos-build iso)
  --pxe-dir DIR        PXE kernel, initramfs and deploy archive (altcos-build pxe)
  --qcow2 FILE         QCOW2 image (altcos-build qcow2)
  --manifest FILE      deploy.json whose commit and version the installs must show
  --repo DIR           ostree repository of the QCOW2's commit (update-rollback)
  --gpg-key KEY        the key that signed it, to sign the scenario's updates (update-rollback)
  --gpg-homedir DIR    GnuPG home of --gpg-key (default gpg's own)
  --artifacts DIR      find what the flags above leave out in a build's output folder (test-gpg/: make test-gpg-key's key)
  --scenario A,B|all   scenarios to run (default all)
  --skip-missing       skip a scenario whose artifact is not given (default: it fails)
  --budget DURATION    stop starting scenarios when less than one scenario's time is left (e.g. 80m or 4800)
  --out DIR            console logs and disks (default out/vmtest)
  --accel auto|tcg|kvm auto probes KVM with a short boot (default auto)
  --cpus N             virtual CPUs per machine (default 2, 1 on a one-core host; ALTCOS_VMTEST_CPUS); TCG runs them multi-threaded
  --break              install onto /dev/nonexistent: the run must fail with the console tail
  --console            copy every console to standard output
`

// Run is altcos-vmtest with args (without the program name). A run whose
// scenario lacks its artifact fails, naming the artifact, unless
// --skip-missing.
func Run(ctx context.Context, args []string, std stdio.Stdio) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(std.Out, usage)
		return nil
	}
	switch args[0] {
	case "list":
		for _, s := range vmtests.Scenarios() {
			fmt.Fprintf(std.Out, "%-20s %s\n", s.Name, s.Doc)
		}
		return nil
	case "run", "demo", "smoke":
	default:
		return &stdio.UsageError{Msg: fmt.Sprintf("unknown command %q; run `altcos-vmtest help`", args[0])}
	}
	fs := cli.NewFlagSet("altcos-vmtest "+args[0], "usage: altcos-vmtest "+args[0]+" [flags]", std.Err)
	var art vmtests.Artifacts
	fs.StringVar(&art.ISO, "iso", os.Getenv("ALTCOS_VMTEST_ISO"), "live ISO")
	fs.StringVar(&art.PXEDir, "pxe-dir", os.Getenv("ALTCOS_VMTEST_PXE_DIR"), "PXE artifacts folder")
	fs.StringVar(&art.QCOW2, "qcow2", os.Getenv("ALTCOS_VMTEST_QCOW2"), "QCOW2 image")
	fs.StringVar(&art.Manifest, "manifest", os.Getenv("ALTCOS_VMTEST_MANIFEST"), "deploy archive manifest")
	fs.StringVar(&art.Repo, "repo", os.Getenv("ALTCOS_VMTEST_REPO"), "ostree repository of the QCOW2's commit (update-rollback)")
	fs.StringVar(&art.GPGKey, "gpg-key", os.Getenv("ALTCOS_VMTEST_GPG_KEY"), "key that signed the repo's commits (update-rollback signs its updates with it)")
	fs.StringVar(&art.GPGHomedir, "gpg-homedir", os.Getenv("ALTCOS_VMTEST_GPG_HOMEDIR"), "GnuPG home of --gpg-key")
	artifacts := fs.String("artifacts", os.Getenv("ALTCOS_VMTEST_ARTIFACTS"), "build output folder to find artifacts in")
	scen := fs.String("scenario", "all", "scenarios")
	skipMissing := fs.Bool("skip-missing", false, "skip scenarios whose artifact is not given")
	budget := fs.String("budget", os.Getenv("VMTEST_BUDGET_SECS"), "time budget")
	out := fs.String("out", filepath.Join("out", "vmtest"), "output folder")
	accel := fs.String("accel", envOr("ALTCOS_VMTEST_ACCEL", "auto"), "accelerator")
	cpus := fs.String("cpus", os.Getenv("ALTCOS_VMTEST_CPUS"), "virtual CPUs per machine")
	brk := fs.Bool("break", os.Getenv("ALTCOS_VMTEST_BREAK") == "1", "break the installs on purpose")
	console := fs.Bool("console", false, "copy consoles to standard output")
	stream := fs.String("stream", altcos.DefaultStream, "demo: the stream to install from --stream-base-url")
	streamBase := fs.String("stream-base-url", "", "demo: install the stream's newest release from here (as the guest sees it, e.g. http://10.0.2.2:PORT/streams/)")
	phaseTimes := fs.String("phase-times", "", "demo: a file of earlier phases' times (NAME<TAB>SECONDS lines)")
	cache := fs.String("cache", filepath.Join(envOr("CACHE", ".cache"), "vmtest"), "cache folder (Debian kernel for smoke and the KVM probe)")
	if err := fs.Parse(args[1:]); err != nil {
		return &stdio.UsageError{Msg: err.Error()}
	}
	if fs.NArg() > 0 {
		return &stdio.UsageError{Msg: fmt.Sprintf("unexpected argument %q; artifacts are given with --iso, --pxe-dir, --qcow2", fs.Arg(0))}
	}
	if *artifacts != "" {
		art = art.Fill(vmtests.Discover(*artifacts))
	}
	b, err := vmtests.ParseBudget(*budget)
	if err != nil {
		return &stdio.UsageError{Msg: "--budget: " + err.Error()}
	}
	switch *accel {
	case "auto", "tcg", "kvm":
	default:
		return &stdio.UsageError{Msg: fmt.Sprintf("--accel %q: want auto, tcg or kvm", *accel)}
	}
	ncpu, err := vmtests.ParseCPUs(*cpus)
	if err != nil {
		return &stdio.UsageError{Msg: "--cpus: " + err.Error()}
	}
	log := slog.New(slog.NewTextHandler(std.Err, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	kernelDir := filepath.Join(*cache, "kernel")
	var echo io.Writer
	if *console {
		echo = std.Out
	}
	env := vmtests.Env{Log: log, Accel: *accel, CPUs: ncpu, Art: art, Echo: echo, Progress: std.Out, Break: *brk, Stream: *stream, StreamBaseURL: *streamBase}
	switch args[0] {
	case "smoke":
		return smoke(ctx, log, std.Out, *accel, kernelDir, *out)
	case "demo":
		return demo(ctx, env, std.Out, *phaseTimes, kernelDir, *out)
	}
	var names []string
	if *scen != "all" && *scen != "" {
		names = strings.Split(*scen, ",")
	}
	_, err = vmtests.Run(ctx, vmtests.Options{
		Names: names, Env: env, Out: *out, KernelDir: kernelDir, Budget: b,
		SkipMissing: *skipMissing, MissingHint: ", or run with --skip-missing to skip such scenarios",
		Report: std.Out,
	})
	return err
}

// smoke boots a Debian kernel with the busybox initramfs under accel (tcg
// for auto): QEMU itself works.
func smoke(ctx context.Context, log *slog.Logger, stdout io.Writer, accel, kernelDir, out string) error {
	kernel, err := qemu.DebianKernel(ctx, log, kernelDir)
	if err != nil {
		return err
	}
	initrd := filepath.Join(out, "smoke.cpio")
	if err := qemu.SmokeInitramfs(initrd, "/bin/busybox"); err != nil {
		return err
	}
	if accel == "auto" {
		accel = "tcg"
	}
	took, err := qemu.SmokeBoot(ctx, log, out, "smoke", accel, kernel, initrd, 2*time.Minute)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "smoke: %s kernel booted the busybox initramfs under %s in %s\n", filepath.Base(kernel), accel, took.Round(time.Millisecond))
	return nil
}

// demo is `make demo`'s machine part (vmtests.Demo) in out/demo: its steps,
// the install's progress lines (every console whole with --console), the
// installed system's ostree admin status, and at the end the table of phase
// times, the earlier ones of phaseTimes (the Makefile's builds) first.
func demo(ctx context.Context, env vmtests.Env, stdout io.Writer, phaseTimes, kernelDir, out string) error {
	var phases []qemu.Span
	if phaseTimes != "" {
		var err error
		if phases, err = readPhaseTimes(phaseTimes); err != nil {
			return err
		}
	}
	t0 := time.Now()
	accel, err := vmtests.ChooseAccel(ctx, env.Log, env.Accel, kernelDir, out, stdout)
	if err != nil {
		return err
	}
	phases = append(phases, qemu.Span{Phase: "choose the accelerator (" + accel + ")", Took: time.Since(t0)})
	fmt.Fprintf(stdout, "vmtest: accelerator %s\n", accel)
	env.Accel = accel
	env.Out = filepath.Join(out, "demo")
	if err := os.MkdirAll(env.Out, 0o755); err != nil {
		return err
	}
	r, err := vmtests.Demo(ctx, &env)
	fmt.Fprint(stdout, "\n"+phaseTable(append(phases, r.Phases...)))
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, "\n"+vmtests.DemoLoginHint(r.Disk))
	return nil
}

// readPhaseTimes reads "NAME<TAB>SECONDS" lines.
func readPhaseTimes(path string) ([]qemu.Span, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--phase-times: %w", err)
	}
	var spans []qemu.Span
	for i, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if l == "" {
			continue
		}
		name, secs, ok := strings.Cut(l, "\t")
		n, err := strconv.Atoi(strings.TrimSpace(secs))
		if !ok || err != nil || n < 0 {
			return nil, fmt.Errorf("--phase-times %s line %d: %q is not NAME<TAB>SECONDS", path, i+1, l)
		}
		spans = append(spans, qemu.Span{Phase: name, Took: time.Duration(n) * time.Second})
	}
	return spans, nil
}

// phaseTable renders the phases with their times and the total.
func phaseTable(spans []qemu.Span) string {
	w := len("total")
	var total time.Duration
	for _, s := range spans {
		w = max(w, len(s.Phase))
		total += s.Took
	}
	var b strings.Builder
	b.WriteString("demo: phase times\n")
	for _, s := range append(spans, qemu.Span{Phase: "total", Took: total}) {
		fmt.Fprintf(&b, "  %-*s %8s\n", w, s.Phase, s.Took.Round(time.Second))
	}
	return b.String()
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
