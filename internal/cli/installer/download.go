package installercli

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/altcos/altcos-tools/deployarchive"
	"github.com/altcos/altcos-tools/installer"
	"github.com/altcos/altcos-tools/installer/report"
	"github.com/altcos/altcos-tools/internal/cli"
	"github.com/altcos/altcos-tools/internal/stdio"
)

// download is `altcos-installer download --stream-base-url URL -s STREAM
// -f iso|qcow2|pxe|deploy [--decompress] [-C DIR]`: the format's files of
// the stream's newest release, each checked (sha256 from the stream, its
// detached signature against --gpg-keyring or the live medium's release
// keys; --insecure skips the signature) before it takes its name. It
// prints the paths written, one per line, as coreos-installer download.
func download(ctx context.Context, args []string, io stdio.Stdio) error {
	fs := cli.NewFlagSet("download", "usage: altcos-installer download --stream-base-url URL -s STREAM -f iso|qcow2|pxe|deploy [--decompress] [-C DIR] [--gpg-keyring FILE] [--insecure]", io.Err)
	var sf streamFlags
	sf.register(fs)
	o := installer.DownloadOptions{}
	fs.StringVar(&o.Format, "format", "", "what to download: iso, qcow2, pxe (kernel, initramfs, rootfs) or deploy (the deploy archive and its manifest); also qcow2.xz, pxe.xz")
	fs.StringVar(&o.Format, "f", "", "short for --format")
	fs.StringVar(&o.Dir, "directory", ".", "folder to write the files to")
	fs.StringVar(&o.Dir, "C", ".", "short for --directory")
	fs.StringVar(&o.Arch, "architecture", deployarchive.HostArch(), "architecture")
	fs.BoolVar(&o.Decompress, "decompress", false, "unpack .xz files (their uncompressed-sha256 checked)")
	fs.BoolVar(&o.Decompress, "d", false, "short for --decompress")
	fs.StringVar(&o.Keyring, "gpg-keyring", "", "keyring (binary) that verifies the signatures (default: the live medium's release keys)")
	fs.BoolVar(&o.Insecure, "insecure", false, "skip the signature check (the sha256 is still checked)")
	verbose := fs.Bool("verbose", false, "log details to stderr")
	if help, err := cli.ParseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("download takes no arguments, got %q", fs.Args())
	}
	if err := sf.check("download"); err != nil {
		return err
	}
	if _, ok := installer.DownloadFormats[o.Format]; !ok {
		return usagef("download needs -f iso, qcow2, pxe or deploy (or qcow2.xz, pxe.xz), got %q", o.Format)
	}
	o.StreamBaseURL, o.Stream = sf.base, sf.stream
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	o.Log = slog.New(slog.NewTextHandler(io.Err, &slog.HandlerOptions{Level: level}))
	o.Progress = report.NewPlain(io.Err)
	if o.Insecure {
		o.Progress.Info("warning: --insecure: the signatures are not checked")
	}
	paths, err := installer.Download(ctx, o)
	for _, p := range paths {
		fmt.Fprintln(io.Out, p)
	}
	return err
}
