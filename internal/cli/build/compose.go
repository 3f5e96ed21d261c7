package buildcli

import (
	"context"
	"fmt"
	"os"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/compose"
	"github.com/altcos/altcos-tools/internal/cli"
	"github.com/altcos/altcos-tools/internal/stdio"
)

// runCompose is `altcos-build compose`:
//
//	altcos-build compose --repo R [--stream S] [--arch A] [--osfiles DIR]
//	                     [--remote-url URL] [--workdir DIR] [--force]
//	                     [--gpg-sign KEYID [--gpg-homedir DIR]] [-v] TREE
//
// TREE is an OS tree directory or tarball; it becomes a commit on
// altcos/<arch>/<stream> in R (created as an archive repo when missing).
// SOURCE_DATE_EPOCH, when set, is the build time (reproducible commits).
// With --gpg-sign (or ALTCOS_GPG_KEY) each commit is signed and the OS's
// remote altcos refuses unsigned commits (see compose/sign.go).
func runCompose(ctx context.Context, args []string, io stdio.Stdio) error {
	fs := cli.NewFlagSet("compose", "usage: altcos-build compose --repo R [--stream S] [flags] TREE", io.Err)
	repo := fs.String("repo", "", "ostree repository (created in archive mode when missing or empty)")
	stream := fs.String("stream", altcos.DefaultStream, "stream: the ref is altcos/<arch>/<stream>")
	arch := fs.String("arch", altcos.DefaultArch, "architecture in the ref")
	osfiles := fs.String("osfiles", "", "OS files laid over the tree (default: ./osfiles when it exists)")
	remote := fs.String("remote-url", compose.DefaultRemoteURL, "URL of the remote altcos written into the OS")
	workdir := fs.String("workdir", "", "where the tree copy is prepared (default: a temporary directory next to the repo)")
	force := fs.Bool("force", false, "make a new commit (new minor version) even when nothing changed")
	verbose := fs.Bool("v", false, "log every command run")
	key, home := gpgFlags(fs)
	if help, err := cli.ParseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return &stdio.UsageError{Msg: "compose takes one OS tree (directory or tarball); run `altcos-build compose -h`"}
	}
	if *repo == "" {
		return &stdio.UsageError{Msg: "compose needs --repo"}
	}
	if *osfiles == "" {
		if st, err := os.Stat("osfiles"); err == nil && st.IsDir() {
			*osfiles = "osfiles"
		}
	}
	t, err := cli.SourceDateEpoch()
	if err != nil {
		return err
	}
	log := cli.Logger(io.Err, *verbose)

	res, err := compose.Run(ctx, compose.Options{
		Repo: *repo, Stream: *stream, Arch: *arch, Tree: fs.Arg(0),
		OSFiles: *osfiles, WorkDir: *workdir, Time: t, RemoteURL: *remote, Force: *force, Log: log,
		GPGKey: *key, GPGHomedir: *home,
	})
	if err != nil {
		return err
	}
	if !res.Created {
		fmt.Fprintf(io.Out, "%s: nothing changed since %s (%s); no new commit\n", res.Ref, res.Version, res.Commit)
		return nil
	}
	why := res.Change.String()
	if res.Parent == "" {
		why = "first commit"
	} else if *force && res.Change == compose.FilesChanged {
		why = "forced"
	}
	fmt.Fprintf(io.Out, "%s: committed %s (%s, kernel %s, Ignition spec %s): %s\n", res.Ref, res.Version, why, res.Kernel, res.IgnitionSpec, res.Commit)
	return nil
}
