package site

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
)

// TestHandler requests every part of the layout from one server, and the
// repo and graph alone as the machine tests serve them.
func TestHandler(t *testing.T) {
	streamDir, artA, artB := fixture(t)
	siteDir, repo, graphDir := t.TempDir(), t.TempDir(), t.TempDir()
	if _, err := Write(Options{StreamDir: streamDir, ArtifactDirs: []string{artA}}, siteDir); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(repo, "config"), []byte("[core]\nmode=archive-z2\n"))
	writeFile(t, filepath.Join(graphDir, "x86_64", "sisyphus", "v1", "graph"), []byte(`{"nodes":[],"edges":[]}`))
	iso := find(t, "sisyphus", newRel, "x86_64", "iso", "disk")
	p10 := find(t, "p10", p10Rel, "x86_64", "iso", "disk")

	tests := []struct {
		dirs       Dirs
		path       string
		code       int
		bodyPrefix string
	}{
		{Dirs{Site: siteDir, Artifacts: []string{artA, artB}, Streams: streamDir, Repo: repo, Graph: graphDir}, "", 0, ""}, // the server of the rows below
		{path: "/", code: 200, bodyPrefix: "<!DOCTYPE html>"},
		{path: "/index.html", code: 301}, // FileServer's redirect to /
		{path: "/app.js", code: 200, bodyPrefix: "// The download page"},
		{path: "/style.css", code: 200},
		{path: "/artifacts/" + iso.name, code: 200, bodyPrefix: string(iso.data[:20])},
		{path: "/artifacts/" + iso.name + ".sig", code: 200, bodyPrefix: "signature of"},
		{path: "/artifacts/" + p10.name, code: 200, bodyPrefix: string(p10.data[:20])}, // from the second folder
		{path: "/artifacts/nope.iso", code: 404},
		{path: "/streams/sisyphus.json", code: 200, bodyPrefix: "{"},
		{path: "/streams/sisyphus/releases.json", code: 200, bodyPrefix: "{"},
		{path: "/repo/config", code: 200, bodyPrefix: "[core]"},
		{path: "/v1/graph?basearch=x86_64&stream=sisyphus", code: 200, bodyPrefix: `{"nodes"`},
		{path: "/v1/graph?basearch=x86_64&stream=p10", code: 404},
		{path: "/x86_64/sisyphus/v1/graph", code: 200, bodyPrefix: `{"nodes"`}, // past the site, to the graph's files
		{path: "/etc/passwd", code: 404},
		{Dirs{Repo: repo, Graph: graphDir}, "", 0, ""}, // as before the site: vmtests/update.go
		{path: "/repo/config", code: 200, bodyPrefix: "[core]"},
		{path: "/v1/graph?basearch=x86_64&stream=sisyphus", code: 200, bodyPrefix: `{"nodes"`},
		{path: "/x86_64/sisyphus/v1/graph", code: 200, bodyPrefix: `{"nodes"`},
		{path: "/artifacts/" + iso.name, code: 404},
		{Dirs{Site: siteDir}, "", 0, ""}, // the site alone: nothing else is served
		{path: "/", code: 200, bodyPrefix: "<!DOCTYPE html>"},
		{path: "/repo/config", code: 404},
		{path: "/x86_64/sisyphus/v1/graph", code: 404},
	}
	var srv *httptest.Server
	var dirs Dirs
	for _, tt := range tests {
		if tt.path == "" {
			if srv != nil {
				srv.Close()
			}
			dirs, srv = tt.dirs, httptest.NewServer(Handler(tt.dirs))
			continue
		}
		client := *http.DefaultClient
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, err := client.Get(srv.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.code || len(body) < len(tt.bodyPrefix) || string(body[:len(tt.bodyPrefix)]) != tt.bodyPrefix {
			t.Errorf("Handler(%+v) GET %s = %d %.40q, want %d %.40q", dirs, tt.path, resp.StatusCode, body, tt.code, tt.bodyPrefix)
		}
	}
	srv.Close()
}
