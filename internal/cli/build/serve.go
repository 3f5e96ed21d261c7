package buildcli

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/altcos/altcos-tools/internal/cli"
	"github.com/altcos/altcos-tools/internal/stdio"
	"github.com/altcos/altcos-tools/updates/graph"
)

// runServe is `altcos-build serve`:
//
//	altcos-build serve --repo R [--graph OUT] [--listen ADDR]
//
// It serves an archive repo at /repo/ (the installed system's remote altcos
// is http://10.0.2.2:8080/repo under QEMU's user network, which reaches the
// host's 127.0.0.1:8080) and the graphs written by `altcos-build graph -o OUT`
// at /v1/graph?basearch=A&stream=S, until interrupted. For tests and demos.
func runServe(ctx context.Context, args []string, io stdio.Stdio) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Err)
	repo := fs.String("repo", "", "ostree archive repository to serve at /repo/")
	graphDir := fs.String("graph", "", "output directory of `altcos-build graph` to serve at /v1/graph")
	listen := fs.String("listen", "127.0.0.1:8080", "address to listen on (port 0: any free port)")
	if help, err := cli.ParseFlags(fs, args); help || err != nil {
		return err
	}
	if *repo == "" || fs.NArg() > 0 {
		return &stdio.UsageError{Msg: "serve needs --repo and no arguments; run `altcos-build serve -h`"}
	}
	if _, err := os.Stat(*repo + "/config"); err != nil {
		return fmt.Errorf("%s is not an ostree repository (no config): %w", *repo, err)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *listen, err)
	}
	hs := &http.Server{Handler: graph.Handler(*repo, *graphDir), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(io.Out, "serving http://%s: repo %s at /repo/, graphs of %s at /v1/graph\n", ln.Addr(), *repo, *graphDir)
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
