package installercli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/installer"
	"github.com/altcos/altcos-tools/internal/cli"
	"github.com/altcos/altcos-tools/internal/stdio"
)

// streamFlags are the flags list-stream and download share, with
// coreos-installer's names.
type streamFlags struct{ base, stream string }

func (s *streamFlags) register(fs interface {
	StringVar(p *string, name, value, usage string)
}) {
	fs.StringVar(&s.base, "stream-base-url", "", "base URL of the stream metadata: STREAM.json under it (altcos-build serve: http://HOST:PORT/streams/)")
	fs.StringVar(&s.stream, "stream", altcos.DefaultStream, "the stream")
	fs.StringVar(&s.stream, "s", altcos.DefaultStream, "the stream (short for --stream)")
}

func (s *streamFlags) check(cmd string) error {
	if s.base == "" {
		return usagef("%s needs --stream-base-url URL (where STREAM.json is published, e.g. http://HOST:PORT/streams/ of altcos-build serve)", cmd)
	}
	return nil
}

// listStream is `altcos-installer list-stream --stream-base-url URL [-s
// STREAM]`: the formats of the stream's newest release, one per line, as
// coreos-installer list-stream prints them, with the release, the files of
// each format and whether they are signed.
func listStream(ctx context.Context, args []string, io stdio.Stdio) error {
	fs := cli.NewFlagSet("list-stream", "usage: altcos-installer list-stream --stream-base-url URL [-s STREAM]", io.Err)
	var sf streamFlags
	sf.register(fs)
	if help, err := cli.ParseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("list-stream takes no arguments, got %q", fs.Args())
	}
	if err := sf.check("list-stream"); err != nil {
		return err
	}
	m, err := installer.FetchStream(ctx, sf.base, sf.stream)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(io.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "Architecture\tPlatform\tFormat\tRelease\tFiles\tSigned")
	for _, r := range m.Rows() {
		signed := "no"
		if r.Signed {
			signed = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Arch, r.Platform, r.Format, r.Release, strings.Join(r.Roles, ","), signed)
	}
	return tw.Flush()
}
