// Package cli holds what the altcos-* command lines share, once: a table of
// subcommands with its usage text, a subcommand's flag set, the repeatable
// string flag, flags parsed before, between and after the arguments,
// SOURCE_DATE_EPOCH, the logger, and serving HTTP until cancelled. Each tool is a package under it (internal/cli/build for
// altcos-build, ...) whose Run(ctx, args, stdio) error cmd/<tool>/main.go
// hands to stdio.Main, so that tests drive every command in-process.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/altcos/altcos-tools/internal/stdio"
)

// Command is one subcommand of a tool.
type Command struct {
	Name    string
	Summary string // one line for the tool's usage
	Run     func(ctx context.Context, args []string, io stdio.Stdio) error
}

// Dispatch runs the command that args[0] names with the rest of args, and
// wraps its error with the command's name. No arguments, help, -h or
// --help print the usage: synopsis, then the commands by name. An unknown
// command is a stdio.UsageError.
func Dispatch(ctx context.Context, tool, synopsis string, cmds []Command, args []string, io stdio.Stdio) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(io.Out, usage(tool, synopsis, cmds))
		return nil
	}
	for _, c := range cmds {
		if c.Name != args[0] {
			continue
		}
		if err := c.Run(ctx, args[1:], io); err != nil {
			return fmt.Errorf("%s: %w", args[0], err)
		}
		return nil
	}
	return &stdio.UsageError{Msg: fmt.Sprintf("unknown command %q; run `%s help`", args[0], tool)}
}

// usage is a tool's usage text: "usage: " and the synopsis, the commands
// sorted by name with their summaries, and where to find each one's flags.
func usage(tool, synopsis string, cmds []Command) string {
	sorted := append([]Command(nil), cmds...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	width := 0
	for _, c := range sorted {
		width = max(width, len(c.Name)+1)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "usage: %s\n\ncommands:\n", synopsis)
	for _, c := range sorted {
		fmt.Fprintf(&b, "  %-*s %s\n", width, c.Name, c.Summary)
	}
	fmt.Fprintf(&b, "\nRun `%s COMMAND -h` for a command's flags.\n", tool)
	return b.String()
}

// List is a repeatable string flag: every occurrence adds its value.
type List []string

func (l *List) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(*l, ",")
}

// Set adds v.
func (l *List) Set(v string) error { *l = append(*l, v); return nil }

// NewFlagSet is the flag set of a subcommand: its errors go to w, and -h
// prints usage (the synopsis lines, "usage: tool cmd ...") and the flags.
func NewFlagSet(name, usage string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(w)
	fs.Usage = func() {
		fmt.Fprintln(w, usage)
		fs.PrintDefaults()
	}
	return fs
}

// ParseFlags parses args into fs. help is true when -h or --help asked for
// the flags (fs has printed them: the command is done); any other bad flag
// is a stdio.UsageError.
func ParseFlags(fs *flag.FlagSet, args []string) (help bool, err error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, nil
		}
		return false, &stdio.UsageError{Msg: err.Error()}
	}
	return false, nil
}

// ParseInterleaved is ParseFlags for commands whose flags may also come
// after or between the arguments (deploy VERSION --sysroot X); "--" ends
// the flags. It returns the arguments in order.
func ParseInterleaved(fs *flag.FlagSet, args []string) (pos []string, help bool, err error) {
	for {
		if help, err := ParseFlags(fs, args); help || err != nil {
			return nil, help, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, false, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), false, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// SourceDateEpoch is the build time that SOURCE_DATE_EPOCH sets for
// reproducible builds (https://reproducible-builds.org/specs/source-date-epoch/),
// in UTC; the zero time when the variable is unset or empty (the callers
// then use now). 0, 1970-01-01, is a valid epoch; anything but a decimal
// count of seconds >= 0 is an error naming the variable.
func SourceDateEpoch() (time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return time.Time{}, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a count of seconds since 1970 (an integer >= 0); unset it or fix it", s)
	}
	return time.Unix(n, 0).UTC(), nil
}

// Logger logs text to w: info and above, or everything with verbose.
func Logger(w io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// Serve serves hs on ln until ctx ends (SIGINT, SIGTERM), then shuts it
// down, letting the requests under way finish for up to five seconds.
func Serve(ctx context.Context, hs *http.Server, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return hs.Shutdown(sctx)
}
