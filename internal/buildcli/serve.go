package buildcli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"regexp"
	"time"

	"github.com/altcos/altcos-tools/internal/stdio"
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
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &UsageError{Msg: err.Error()}
	}
	if *repo == "" || fs.NArg() > 0 {
		return &UsageError{Msg: "serve needs --repo and no arguments; run `altcos-build serve -h`"}
	}
	if _, err := os.Stat(*repo + "/config"); err != nil {
		return fmt.Errorf("%s is not an ostree repository (no config): %w", *repo, err)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *listen, err)
	}
	hs := &http.Server{Handler: ServeHandler(*repo, *graphDir), ReadHeaderTimeout: 10 * time.Second}
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

var nameRE = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// ServeHandler serves repo at /repo/ and the graphs under graphDir, both at
// /v1/graph?basearch=A&stream=S and as the static files (/A/S/v1/graph).
func ServeHandler(repo, graphDir string) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/repo/", http.StripPrefix("/repo/", http.FileServer(http.Dir(repo))))
	if graphDir != "" {
		mux.HandleFunc("/v1/graph", func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			arch, stream := q.Get("basearch"), q.Get("stream")
			if !nameRE.MatchString(arch) || !nameRE.MatchString(stream) {
				http.Error(w, "want /v1/graph?basearch=ARCH&stream=STREAM", http.StatusBadRequest)
				return
			}
			p := GraphPath(graphDir, arch, stream)
			if _, err := os.Stat(p); err != nil {
				http.Error(w, "no graph for "+arch+"/"+stream, http.StatusNotFound)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			http.ServeFile(w, r, p)
		})
		mux.Handle("/", http.FileServer(http.Dir(graphDir)))
	}
	return mux
}
