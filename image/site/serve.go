package site

import (
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"

	"github.com/altcos/altcos-tools/updates/graph"
)

// Dirs are the folders a download server publishes; an empty one is not
// served.
type Dirs struct {
	Site      string   // the site (Write's output) at /
	Artifacts []string // the artifacts at /artifacts/: the first folder holding a name serves it
	Streams   string   // the stream metadata and release indexes at /streams/
	Repo      string   // the ostree archive repository at /repo/
	Graph     string   // `altcos-build graph` output at /v1/graph?basearch=A&stream=S and /A/S/v1/graph
}

// Layout is the URL layout of Handler, for help texts.
const Layout = `/                                    the site (index.html, app.js, style.css)
/artifacts/NAME                      the artifacts (ISO, QCOW2, PXE files, deploy archive, NAME.sig)
/streams/STREAM.json                 the stream metadata and release indexes
/repo/                               the ostree archive repository (the OS's remote)
/v1/graph?basearch=ARCH&stream=S     the update graph (also /ARCH/S/v1/graph)`

// Handler serves d from one address in the Layout. The repository and the
// graph are served by graph.Handler, as before the site existed: a path
// that is not the site's goes on to the graph's files.
func Handler(d Dirs) http.Handler {
	mux := http.NewServeMux()
	g := graph.Handler(d.Repo, d.Graph)
	if d.Repo != "" {
		mux.Handle("/repo/", g)
	}
	if d.Graph != "" {
		mux.Handle("/v1/graph", g)
	}
	if len(d.Artifacts) > 0 {
		mux.Handle("/artifacts/", http.StripPrefix("/artifacts", http.FileServer(union(d.Artifacts))))
	}
	if d.Streams != "" {
		mux.Handle("/streams/", http.StripPrefix("/streams", http.FileServer(http.Dir(d.Streams))))
	}
	site := http.FileServer(http.Dir(d.Site))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		switch {
		case d.Site != "" && inDir(d.Site, r.URL.Path):
			site.ServeHTTP(w, r)
		case d.Graph != "":
			g.ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	})
	return mux
}

// inDir reports whether dir holds the URL path p ("/" is its index).
func inDir(dir, p string) bool {
	_, err := os.Stat(filepath.Join(dir, filepath.FromSlash(path.Clean("/"+p))))
	return err == nil
}

// union is folders seen as one: a name opens in the first that has it.
type union []string

func (u union) Open(name string) (http.File, error) {
	err := error(fs.ErrNotExist)
	for _, dir := range u {
		f, e := http.Dir(dir).Open(name)
		if e == nil {
			return f, nil
		}
		if !errors.Is(e, fs.ErrNotExist) {
			err = e
		}
	}
	return nil, err
}
