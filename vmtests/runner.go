package vmtests

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/altcos/altcos-tools/vmtests/qemu"
)

// Statuses of a Result.
const (
	statusPass   = "pass"
	statusFail   = "FAIL"
	statusSkip   = "skip"
	statusNotRun = "not run"
)

// Result is one scenario's outcome.
type Result struct {
	Name   string
	Status string // pass, FAIL, skip, not run
	Took   time.Duration
	Err    error // why it failed, was skipped or not run
}

// Options configure Run. altcos-vmtest fills them from its flags, TestScenarios
// from the environment; both then run the scenarios the same way.
type Options struct {
	Names []string // scenarios to run, in order; empty: all
	// Env is every scenario's environment; Run sets its Out, Progress and,
	// when it is "auto" or empty, Accel (ChooseAccel) per scenario.
	Env Env
	Out string // base folder; each scenario gets Out/<name>, emptied first
	// KernelDir caches the Debian kernel of the KVM probe (ChooseAccel).
	KernelDir string
	// Budget bounds the whole run (0: no limit): a scenario starts only when
	// its Estimate still fits, and its context ends when the budget does.
	Budget time.Duration
	// SkipMissing makes a scenario whose artifact was not given a skip;
	// otherwise it fails, naming the artifact and how to build it.
	SkipMissing bool
	// MissingHint ends the error of a missing artifact: how the caller
	// skips such scenarios instead (a flag, an environment variable).
	MissingHint string
	// Report receives the accelerator, each scenario's progress and result
	// and the summary with each one's wall time.
	Report io.Writer
	// Subtest, when set, runs each scenario's body, which returns its result
	// and writes its progress to the writer it is given. TestScenarios makes
	// it a subtest named after the scenario, so `go test -run
	// TestScenarios/pxe` picks scenarios; a body never called is not
	// reported. Nil: the body runs with Report.
	Subtest func(name string, body func(progress io.Writer) Result)
}

// Run runs scenarios one after another within the budget and reports each
// one's status and wall time; the scenarios left out when the budget runs
// low are named as not run. It returns an error when any scenario failed.
func Run(ctx context.Context, o Options) ([]Result, error) {
	list, err := pick(o.Names)
	if err != nil {
		return nil, err
	}
	report := o.Report
	if report == nil {
		report = io.Discard
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, err
	}
	accel, err := ChooseAccel(ctx, o.Env.Log, o.Env.Accel, o.KernelDir, o.Out, report)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(report, "vmtest: accelerator %s\n", accel)
	o.Env.installed = map[string]string{}
	start := time.Now()
	var results []Result
	for _, s := range list {
		body := func(progress io.Writer) Result {
			r := runOne(ctx, o, s, accel, o.Budget-time.Since(start), progress)
			results = append(results, r)
			return r
		}
		if o.Subtest != nil {
			o.Subtest(s.Name, body)
		} else {
			body(report)
		}
		if ctx.Err() != nil {
			break
		}
	}
	fmt.Fprint(report, summary(results))
	failed := 0
	for _, r := range results {
		if r.Status == statusFail {
			failed++
		}
	}
	if failed > 0 {
		return results, fmt.Errorf("%d of %d scenarios failed", failed, len(results))
	}
	return results, nil
}

// pick returns the named scenarios in the given order, or all of them.
func pick(names []string) ([]Scenario, error) {
	if len(names) == 0 {
		return Scenarios(), nil
	}
	var list []Scenario
	for _, n := range names {
		s, ok := lookup(n)
		if !ok {
			return nil, fmt.Errorf("unknown scenario %q; `altcos-vmtest list` shows them", n)
		}
		list = append(list, s)
	}
	return list, nil
}

// runOne runs scenario s with left of the budget and classifies its outcome.
func runOne(ctx context.Context, o Options, s Scenario, accel string, left time.Duration, progress io.Writer) Result {
	r := Result{Name: s.Name}
	if o.Budget > 0 && left < s.Estimate {
		r.Status = statusNotRun
		r.Err = fmt.Errorf("%s of the time budget left, %s takes up to %s", left.Round(time.Second), s.Name, s.Estimate)
		fmt.Fprintf(progress, "vmtest: %s: not run: %v\n", s.Name, r.Err)
		return r
	}
	dir := filepath.Join(o.Out, s.Name)
	if err := os.RemoveAll(dir); err != nil {
		r.Status, r.Err = statusFail, err
		return r
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		r.Status, r.Err = statusFail, err
		return r
	}
	env := o.Env
	env.Out, env.Accel, env.Progress = dir, accel, progress
	sctx, cancel := ctx, context.CancelFunc(func() {})
	if o.Budget > 0 {
		// The scenario's own deadline: the rest of the budget.
		sctx, cancel = context.WithTimeout(ctx, left)
	}
	fmt.Fprintf(progress, "vmtest: === %s: %s\n", s.Name, s.Doc)
	t0 := time.Now()
	err := s.Run(sctx, &env)
	cancel()
	r.Took, r.Err = time.Since(t0), err
	var skip *skipError
	switch {
	case err == nil:
		r.Status = statusPass
	case errors.As(err, &skip) && (!skip.Missing || o.SkipMissing):
		r.Status = statusSkip
	case errors.As(err, &skip):
		r.Status = statusFail
		r.Err = fmt.Errorf("missing artifact: %s; `make vmtest-artifacts` builds every artifact the scenarios need%s", skip.Reason, o.MissingHint)
	default:
		r.Status = statusFail
	}
	fmt.Fprintf(progress, "vmtest: --- %s: %s (%s: in QEMU %s, on the host %s; load %s)\n", s.Name, r.Status, r.Took.Round(time.Second),
		env.inMachines.Round(time.Second), (r.Took - env.inMachines).Round(time.Second), loadAverage())
	if r.Err != nil {
		fmt.Fprintf(progress, "%v\n", r.Err)
	}
	return r
}

// loadAverage is the host's 1-minute load average (/proc/loadavg), or "?":
// scenario times on a shared machine read with it.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}

// summary renders the results as a table with each scenario's wall time.
func summary(results []Result) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tresult\twall time\tnote")
	var total time.Duration
	for _, r := range results {
		note := ""
		if r.Err != nil && r.Status != statusFail {
			note = r.Err.Error()
		} else if r.Err != nil {
			note = firstLine(r.Err.Error())
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Name, r.Status, r.Took.Round(time.Second), note)
		total += r.Took
	}
	fmt.Fprintf(tw, "total\t\t%s\t\n", total.Round(time.Second))
	tw.Flush()
	return "vmtest: summary\n" + b.String()
}

// ParseBudget reads a time budget: a duration ("80m") or a number of
// seconds ("4800", as VMTEST_BUDGET_SECS gives it); empty is no budget.
func ParseBudget(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("budget %q: want a duration like 80m or a number of seconds", s)
	}
	return d, nil
}

// ChooseAccel resolves the accelerator: tcg or kvm as given, or with "auto"
// (or empty) the KVM probe, a smoke boot of a Debian cloud kernel (cached in
// kernelDir) with a busybox initramfs written to outDir.
func ChooseAccel(ctx context.Context, log *slog.Logger, accel, kernelDir, outDir string, report io.Writer) (string, error) {
	switch accel {
	case "tcg", "kvm":
		return accel, nil
	case "auto", "":
	default:
		return "", fmt.Errorf("accelerator %q: want auto, tcg or kvm", accel)
	}
	kernel, err := qemu.DebianKernel(ctx, log, kernelDir)
	if err != nil {
		return "", err
	}
	initrd := filepath.Join(outDir, "smoke.cpio")
	if err := qemu.SmokeInitramfs(initrd, "/bin/busybox"); err != nil {
		return "", err
	}
	if report != nil {
		fmt.Fprintf(report, "vmtest: probing KVM with a short boot (killed after %s)\n", qemu.ProbeTimeout)
	}
	return qemu.ProbeAccel(ctx, log, outDir, kernel, initrd), nil
}
