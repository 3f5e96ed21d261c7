package buildcli

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/altcos/altcos-tools/image/site"
	"github.com/altcos/altcos-tools/internal/cli"
	"github.com/altcos/altcos-tools/internal/stdio"
)

// runServe is `altcos-build serve`:
//
//	altcos-build serve [--site SITE] [--artifacts DIR]... [--stream-dir DIR] [--repo R] [--graph OUT] [--listen ADDR]
//
// It serves, from one address until interrupted, the download site written
// by `altcos-build site`, the artifacts, the stream metadata, an archive
// repo and the graphs written by `altcos-build graph -o OUT`, in the layout
// of site.Layout (the repo at /repo/, the graph at /v1/graph?basearch=A&stream=S).
// The installed system's remote altcos is http://10.0.2.2:8080/repo under
// QEMU's user network, which reaches the host's 127.0.0.1:8080. For tests
// and demos.
func runServe(ctx context.Context, args []string, io stdio.Stdio) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Err)
	var d site.Dirs
	fs.StringVar(&d.Site, "site", "", "output folder of `altcos-build site` to serve at /")
	fs.Var((*cli.List)(&d.Artifacts), "artifacts", "folder of artifacts to serve at /artifacts/ (repeatable: the first holding a name serves it)")
	fs.StringVar(&d.Streams, "stream-dir", "", "folder of <stream>.json and releases.json to serve at /streams/")
	fs.StringVar(&d.Repo, "repo", "", "ostree archive repository to serve at /repo/")
	fs.StringVar(&d.Graph, "graph", "", "output directory of `altcos-build graph` to serve at /v1/graph")
	listen := fs.String("listen", "127.0.0.1:8080", "address to listen on (port 0: any free port)")
	fs.Usage = func() {
		fmt.Fprintln(io.Err, "usage: altcos-build serve [--site SITE] [--artifacts DIR]... [--stream-dir DIR] [--repo R] [--graph OUT] [--listen ADDR]")
		fmt.Fprintf(io.Err, "\nURL layout (a folder not given is not served):\n%s\n\n", site.Layout)
		fs.PrintDefaults()
	}
	if help, err := cli.ParseFlags(fs, args); help || err != nil {
		return err
	}
	if d.Site == "" && len(d.Artifacts) == 0 && d.Streams == "" && d.Repo == "" && d.Graph == "" || fs.NArg() > 0 {
		return &stdio.UsageError{Msg: "serve needs a folder to serve (--site, --artifacts, --stream-dir, --repo, --graph) and no arguments; run `altcos-build serve -h`"}
	}
	if d.Repo != "" {
		if _, err := os.Stat(d.Repo + "/config"); err != nil {
			return fmt.Errorf("%s is not an ostree repository (no config): %w", d.Repo, err)
		}
	}
	for _, dir := range append([]string{d.Site, d.Streams, d.Graph}, d.Artifacts...) {
		if fi, err := os.Stat(dir); dir != "" && (err != nil || !fi.IsDir()) {
			return fmt.Errorf("serve %s: not a folder", dir)
		}
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *listen, err)
	}
	hs := &http.Server{Handler: site.Handler(d), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(io.Out, "serving http://%s:%s\n", ln.Addr(), served(d))
	return cli.Serve(ctx, hs, ln)
}

// served lists what d serves where, for the first line serve prints.
func served(d site.Dirs) string {
	var parts []string
	add := func(dir, at string) {
		if dir != "" {
			parts = append(parts, fmt.Sprintf("%s at %s", dir, at))
		}
	}
	add(d.Site, "/")
	add(strings.Join(d.Artifacts, ", "), "/artifacts/")
	add(d.Streams, "/streams/")
	if d.Repo != "" {
		parts = append(parts, "repo "+d.Repo+" at /repo/")
	}
	if d.Graph != "" {
		parts = append(parts, "graphs of "+d.Graph+" at /v1/graph")
	}
	return " " + strings.Join(parts, ", ")
}
