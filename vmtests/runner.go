package vmtests

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"
)

// Result is one scenario's outcome.
type Result struct {
	Name   string
	Status string // pass, FAIL, skip, not run
	Took   time.Duration
	Err    error
}

// RunOptions configure RunScenarios.
type RunOptions struct {
	Names  []string      // scenarios to run, in order; empty: all
	Budget time.Duration // 0: no limit
	// NewEnv makes the environment of one scenario, whose files go to out.
	NewEnv func(name, out string) *Env
	Out    string // base folder; each scenario gets Out/<name>
	Report io.Writer
}

// RunScenarios runs scenarios one after another within the budget and reports
// each one's status and wall time; the scenarios left when the budget runs
// low are listed as not run. It returns an error when any scenario failed.
func RunScenarios(ctx context.Context, o RunOptions) ([]Result, error) {
	var list []Scenario
	if len(o.Names) == 0 {
		list = Scenarios()
	} else {
		for _, n := range o.Names {
			s, ok := Lookup(n)
			if !ok {
				return nil, fmt.Errorf("unknown scenario %q; `altcos-vmtest list` shows them", n)
			}
			list = append(list, s)
		}
	}
	start := time.Now()
	var results []Result
	failed := 0
	for _, s := range list {
		left := o.Budget - time.Since(start)
		if o.Budget > 0 && left < s.Estimate {
			results = append(results, Result{Name: s.Name, Status: "not run", Err: fmt.Errorf("%s of the budget left, %s takes up to %s", left.Round(time.Second), s.Name, s.Estimate)})
			fmt.Fprintf(o.Report, "vmtest: %s: not run: %s of the budget left\n", s.Name, left.Round(time.Second))
			continue
		}
		out := filepath.Join(o.Out, s.Name)
		if err := os.RemoveAll(out); err != nil {
			return results, err
		}
		if err := os.MkdirAll(out, 0o755); err != nil {
			return results, err
		}
		env := o.NewEnv(s.Name, out)
		sctx := ctx
		var cancel context.CancelFunc = func() {}
		if o.Budget > 0 {
			sctx, cancel = context.WithTimeout(ctx, left)
		}
		fmt.Fprintf(o.Report, "vmtest: === %s: %s\n", s.Name, s.Doc)
		t0 := time.Now()
		err := s.Run(sctx, env)
		cancel()
		r := Result{Name: s.Name, Took: time.Since(t0), Err: err}
		var skip *SkipError
		switch {
		case err == nil:
			r.Status = "pass"
		case errors.As(err, &skip):
			r.Status = "skip"
		default:
			r.Status = "FAIL"
			failed++
		}
		fmt.Fprintf(o.Report, "vmtest: --- %s: %s (%s)\n", s.Name, r.Status, r.Took.Round(time.Second))
		if err != nil {
			fmt.Fprintf(o.Report, "%v\n", err)
		}
		results = append(results, r)
		if ctx.Err() != nil {
			break
		}
	}
	fmt.Fprint(o.Report, Summary(results))
	if failed > 0 {
		return results, fmt.Errorf("%d of %d scenarios failed", failed, len(results))
	}
	return results, nil
}

// Summary renders the results as a table with each scenario's wall time.
func Summary(results []Result) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tresult\twall time\tnote")
	var total time.Duration
	for _, r := range results {
		note := ""
		if r.Err != nil && r.Status != "FAIL" {
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
