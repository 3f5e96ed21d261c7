package stdio

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// UsageError is a bad command line: the command says so and exits 2, as
// other failures exit 1.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// ExitCode is the exit status of a command that returned err: 0 for nil, 2
// for a UsageError, 1 otherwise.
func ExitCode(err error) int {
	var ue *UsageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		return 2
	default:
		return 1
	}
}

// Main runs a command as a program: with the process's standard streams and
// arguments, a context cancelled by SIGINT or SIGTERM, its error on standard
// error after "name: ", and the exit status of ExitCode.
func Main(name string, run func(ctx context.Context, args []string, io Stdio) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
	}
	os.Exit(ExitCode(err))
}
