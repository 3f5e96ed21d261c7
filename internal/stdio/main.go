package stdio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// UsageError is a bad command line: the command says so and exits 2, as
// other failures exit 1.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// ExitError gives an error an exit status of its own, for a command whose
// manual lists more classes of failure than a bad command line (2) and the
// rest (1): altcos-installer's fetch (3), disk (4) and internal (70)
// failures.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// ExitCode is the exit status of a command that returned err: 0 for nil,
// the code of an ExitError, 2 for a UsageError, 1 otherwise.
func ExitCode(err error) int {
	var (
		ee *ExitError
		ue *UsageError
	)
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.Code
	case errors.As(err, &ue):
		return 2
	default:
		return 1
	}
}

// Report is what a program does with the error of its command: it writes
// err to w after "name: " (nothing for nil) and returns ExitCode(err). Tests
// call it to see a command's standard error as Main leaves it.
func Report(w io.Writer, name string, err error) int {
	if err != nil {
		fmt.Fprintf(w, "%s: %v\n", name, err)
	}
	return ExitCode(err)
}

// Main runs a command as a program: with the process's standard streams and
// arguments, a context cancelled by SIGINT or SIGTERM, its error on standard
// error after "name: ", and the exit status of ExitCode.
func Main(name string, run func(ctx context.Context, args []string, io Stdio) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	stop()
	os.Exit(Report(os.Stderr, name, err))
}
