package graph

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/internal/fsutil"
	"github.com/altcos/altcos-tools/ostree"
)

// Path is where a stream's graph is published under an output directory:
// OUT/<arch>/<stream>/v1/graph. Any static web server then answers the
// agent's GET {base}/v1/graph?basearch=..&stream=.. with base
// http://host/<arch>/<stream>; Handler also answers it at the top level by
// reading basearch and stream from the query.
func Path(out, arch, stream string) string {
	return filepath.Join(out, arch, stream, "v1", "graph")
}

// WriteFromRepo writes the graph of altcos/<arch>/<stream> in the ostree
// repository repo to Path(outDir, arch, stream) and returns it with that
// path. The releases are the ref's commits, oldest first (see Build);
// deadEnds maps versions or checksums to reasons.
func WriteFromRepo(ctx context.Context, repo, arch, stream, outDir string, deadEnds map[string]string) (*Graph, string, error) {
	ref := altcos.Ref(arch, stream)
	hist, err := (&ostree.Repo{Path: repo}).RefHistory(ctx, ref)
	if err != nil {
		return nil, "", err
	}
	slices.Reverse(hist)
	rs := make([]Release, len(hist))
	for i, c := range hist {
		rs[i] = Release{Version: c.Version, Checksum: c.Checksum}
	}
	g, err := Build(rs, deadEnds)
	if err != nil {
		return nil, "", fmt.Errorf("%s in %s: %w", ref, repo, err)
	}
	data, err := g.Marshal()
	if err != nil {
		return nil, "", err
	}
	p := Path(outDir, arch, stream)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, "", err
	}
	if err := fsutil.WriteFileAtomic(p, data, 0o644); err != nil {
		return nil, "", err
	}
	return g, p, nil
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// Handler serves the ostree repository repo at /repo/ and the graphs
// written by WriteFromRepo under graphDir, both at
// /v1/graph?basearch=A&stream=S and as the static files (/A/S/v1/graph).
// `altcos-build serve` and the machine tests serve updates with it.
func Handler(repo, graphDir string) http.Handler {
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
			p := Path(graphDir, arch, stream)
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
