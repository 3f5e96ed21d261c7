package buildcli

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/altcos/altcos-tools/image/site"
	"github.com/altcos/altcos-tools/internal/cli"
	"github.com/altcos/altcos-tools/internal/stdio"
)

// runSite is `altcos-build site`:
//
//	altcos-build site --stream-dir DIR [--artifacts DIR]... [--artifacts-url URL] [--stream-url URL] [--title T] -o SITE
//
// It writes the download site (index.html, app.js, style.css) of the stream
// metadata (<stream>.json) and release indexes (releases.json) in DIR: the
// user picks architecture, stream, version, image and compression and gets
// the links, sizes, sha256 sums and signatures. `altcos-build serve --site
// SITE` serves it with the artifacts and streams.
func runSite(ctx context.Context, args []string, io stdio.Stdio) error {
	fs := cli.NewFlagSet("site", "usage: altcos-build site --stream-dir DIR [--artifacts DIR]... [--artifacts-url URL] [--stream-url URL] [--title T] -o SITE", io.Err)
	streamDir := fs.String("stream-dir", "", "folder of <stream>.json and releases.json")
	var artifacts cli.List
	fs.Var(&artifacts, "artifacts", "folder holding the artifacts, for their sizes and FILE.sig signatures (repeatable)")
	artifactsURL := fs.String("artifacts-url", "artifacts/", "where artifacts whose location is a bare file name are published")
	streamURL := fs.String("stream-url", "streams/", "where the stream metadata is published (linked from the page)")
	title := fs.String("title", "ALTCOS downloads", "the page's title")
	out := fs.String("o", "", "output folder")
	if help, err := cli.ParseFlags(fs, args); help || err != nil {
		return err
	}
	if *streamDir == "" || *out == "" || fs.NArg() != 0 {
		return &stdio.UsageError{Msg: "site needs --stream-dir DIR and -o SITE; run `altcos-build site -h`"}
	}
	sum, err := site.Write(site.Options{StreamDir: *streamDir, ArtifactDirs: artifacts, ArtifactsURL: *artifactsURL,
		StreamURL: *streamURL, Title: *title}, *out)
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "%s: %d streams, %d releases, %d files\n", filepath.Join(*out, "index.html"), sum.Streams, sum.Releases, sum.Files)
	return nil
}
