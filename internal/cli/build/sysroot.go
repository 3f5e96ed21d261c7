package buildcli

import (
	"context"
	"fmt"
	"strings"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/compose"
	"github.com/altcos/altcos-tools/deployarchive/sysroot"
	"github.com/altcos/altcos-tools/internal/cli"
	"github.com/altcos/altcos-tools/internal/stdio"
)

// runSysroot is `altcos-build sysroot`:
//
//	altcos-build sysroot --repo R [--stream S] [--arch A] [--remote-url URL]
//	                     [--karg ARG]... [-v] -o OUTDIR
//
// It makes the deploy archive of the commit on altcos/<arch>/<stream>:
// OUTDIR/deploy.tar.zst and its manifest OUTDIR/deploy.json.
// SOURCE_DATE_EPOCH, when set, clamps the archive's file times.
func runSysroot(ctx context.Context, args []string, io stdio.Stdio) error {
	fs := cli.NewFlagSet("sysroot", "usage: altcos-build sysroot --repo R [--stream S] [flags] -o OUTDIR", io.Err)
	repo := fs.String("repo", "", "ostree repository holding the composed commit")
	stream := fs.String("stream", altcos.DefaultStream, "stream: the ref is altcos/<arch>/<stream>")
	arch := fs.String("arch", altcos.DefaultArch, "architecture in the ref")
	remote := fs.String("remote-url", compose.DefaultRemoteURL, "URL of the remote altcos the installed system updates from")
	out := fs.String("o", "", "output directory for deploy.tar.zst and deploy.json")
	var kargs cli.List
	fs.Var(&kargs, "karg", "kernel argument of the stream (repeatable; default: "+strings.Join(sysroot.DefaultKargs, " ")+")")
	verbose := fs.Bool("v", false, "log every command run")
	if help, err := cli.ParseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return &stdio.UsageError{Msg: "sysroot takes no arguments; run `altcos-build sysroot -h`"}
	}
	if *repo == "" || *out == "" {
		return &stdio.UsageError{Msg: "sysroot needs --repo and -o"}
	}
	t, err := cli.SourceDateEpoch()
	if err != nil {
		return err
	}
	log := cli.Logger(io.Err, *verbose)
	var ka []string
	if len(kargs) > 0 {
		ka = kargs
	}
	m, err := sysroot.Build(ctx, sysroot.Options{
		Repo: *repo, Stream: *stream, Arch: *arch, RemoteURL: *remote, Kargs: ka, OutDir: *out, Time: t, Log: log,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "%s %s (%s): %s/%s, %d bytes, sha256 %s\n", m.Ref, m.Version, m.Commit, *out, m.Archive.Name, m.Archive.Size, m.Archive.SHA256)
	return nil
}
