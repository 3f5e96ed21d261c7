package graph

import (
	"context"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

func sum(c byte) string { return strings.Repeat(string(c), 64) }

func releases() []Release {
	return []Release{
		{"sisyphus.20261101.0.0", sum('a')},
		{"sisyphus.20261110.0.0", sum('b')},
		{"sisyphus.20261120.0.0", sum('c')},
		{"sisyphus.20261125.0.0", sum('d')},
	}
}

func TestBuildGolden(t *testing.T) {
	g, err := Build(releases(), map[string]string{"sisyphus.20261110.0.0": "needs a manual step"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := g.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	golden := "testdata/graph.golden.json"
	if *update {
		os.WriteFile(golden, got, 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("Build() =\n%s\nwant\n%s", got, want)
	}
	if _, err := Parse(got); err != nil {
		t.Errorf("Parse(Build()) error: %v", err)
	}
}

func TestBuildBad(t *testing.T) {
	tests := []struct {
		name string
		rs   []Release
		dead map[string]string
	}{
		{"no version", []Release{{"", sum('a')}}, nil},
		{"bad checksum", []Release{{"v1", "abc"}}, nil},
		{"duplicate", []Release{{"v1", sum('a')}, {"v1", sum('b')}}, nil},
		{"unknown dead end", []Release{{"v1", sum('a')}}, map[string]string{"v9": ""}},
	}
	for _, tt := range tests {
		if _, err := Build(tt.rs, tt.dead); err == nil {
			t.Errorf("%s: Build() = nil error, want an error", tt.name)
		}
	}
}

// TestBadInputGraph: update graphs as the agent fetches them, each row a
// bad one and the refusal text (TestParseRefusesAmbiguous has the edge
// shape and duplicate payloads).
func TestBadInputGraph(t *testing.T) {
	good := `{"version":"v1","payload":"` + sum('a') + `","metadata":{"` + KeyAgeIndex + `":"0"}}`
	tests := []struct{ name, in, want string }{
		{"not json", `<html>502 Bad Gateway</html>`, "parse update graph: invalid character '<'"},
		{"no nodes", `{"edges":[]}`, `parse update graph: no "nodes" list`},
		{"no version", `{"nodes":[{"payload":"` + sum('a') + `","metadata":{"` + KeyAgeIndex + `":"0"}}]}`, "node 0 has no version"},
		{"bad payload", `{"nodes":[{"version":"v1","payload":"quay.io/x:y","metadata":{"` + KeyAgeIndex + `":"0"}}]}`, `node 0 (v1) payload "quay.io/x:y" is not an ostree commit checksum`},
		{"no age index", `{"nodes":[{"version":"v1","payload":"` + sum('a') + `","metadata":{}}]}`, "node 0 (v1) has no integer " + KeyAgeIndex},
		{"edge out", `{"nodes":[` + good + `],"edges":[[0,3]]}`, "edge [0 3] names node 3 of 1"},
		{"negative edge", `{"nodes":[` + good + `],"edges":[[-1,0]]}`, "edge [-1 0] names node -1 of 1"},
		{"edge of three", `{"nodes":[` + good + `],"edges":[[0,0,0]]}`, "edge 0 [0,0,0] has 3 elements; want [from, to]"},
		{"edge of strings", `{"nodes":[` + good + `],"edges":[["0","0"]]}`, "parse update graph: json: cannot unmarshal string"},
		{"duplicate payload", `{"nodes":[` + good + `,` + strings.Replace(good, `"v1"`, `"v2"`, 1) + `]}`, "nodes 0 (v1) and 1 (v2) have the same payload"},
		{"wrong scheme", `{"nodes":[{"version":"v1","payload":"` + sum('a') + `","metadata":{"` + KeyAgeIndex + `":"0","` + KeyScheme + `":"oci"}}]}`, `has payload scheme "oci", want "checksum"`},
		{"truncated json", `{"nodes":[` + good, "parse update graph: unexpected end of JSON input"},
	}
	for _, tt := range tests {
		if _, err := Parse([]byte(tt.in)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Parse(%q) = %v, want an error containing %q", tt.name, tt.in, err, tt.want)
		}
	}
}

// TestParseRefusesAmbiguous: an edge that is not a [from, to] pair and two
// nodes with one payload are refused, naming them, instead of being read as
// a truncated edge or as whichever node comes first.
func TestParseRefusesAmbiguous(t *testing.T) {
	node := func(v string, c byte) string {
		return `{"version":"` + v + `","payload":"` + sum(c) + `","metadata":{"` + KeyAgeIndex + `":"0"}}`
	}
	for _, tt := range []struct{ in, want string }{
		{`{"nodes":[` + node("v1", 'a') + `,` + node("v2", 'b') + `],"edges":[[0,1,0]]}`, "edge 0 [0,1,0] has 3 elements; want [from, to]"},
		{`{"nodes":[` + node("v1", 'a') + `,` + node("v2", 'b') + `],"edges":[[0]]}`, "edge 0 [0] has 1 elements; want [from, to]"},
		{`{"nodes":[` + node("v1", 'a') + `,` + node("v2", 'a') + `],"edges":[[0,1]]}`, "nodes 0 (v1) and 1 (v2) have the same payload " + sum('a') + "; each release needs its own commit"},
	} {
		g, err := Parse([]byte(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%s) = %+v, %v, want an error containing %q", tt.in, g, err, tt.want)
		}
	}
}

func TestNext(t *testing.T) {
	g, err := Build(releases(), map[string]string{sum('c'): ""})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		booted  string
		p       Policy
		want    string
		wantOK  bool
		wantErr bool
	}{
		{"newest from the oldest", sum('a'), Policy{}, sum('d'), true, false},
		{"dead end target skipped, newer chosen", sum('b'), Policy{}, sum('d'), true, false},
		{"skipped payload: next best", sum('a'), Policy{Skip: map[string]bool{sum('d'): true}}, sum('b'), true, false},
		{"all skipped", sum('b'), Policy{Skip: map[string]bool{sum('d'): true}}, "", false, false},
		{"newest has no update", sum('d'), Policy{}, "", false, false},
		{"booted on a dead end: no edges", sum('c'), Policy{}, "", false, false},
		{"booted not in graph", sum('e'), Policy{}, "", false, true},
	}
	for _, tt := range tests {
		n, ok, err := g.Next(tt.booted, tt.p)
		if (err != nil) != tt.wantErr || ok != tt.wantOK || n.Payload != tt.want {
			t.Errorf("%s: Next(%.8s) = %.8s, %v, %v, want %.8s, %v, err %v", tt.name, tt.booted, n.Payload, ok, err, tt.want, tt.wantOK, tt.wantErr)
		}
	}
}

func TestNextDowngrade(t *testing.T) {
	g := &Graph{Nodes: []Node{
		{Version: "v1", Payload: sum('a'), Metadata: map[string]string{KeyAgeIndex: "0"}},
		{Version: "v2", Payload: sum('b'), Metadata: map[string]string{KeyAgeIndex: "1"}},
	}, Edges: [][2]int{{1, 0}}}
	if _, ok, _ := g.Next(sum('b'), Policy{}); ok {
		t.Error("Next(v2) offered a downgrade, want none")
	}
	if n, ok, _ := g.Next(sum('b'), Policy{AllowDowngrade: true}); !ok || n.Version != "v1" {
		t.Errorf("Next(v2, AllowDowngrade) = %s, %v, want v1, true", n.Version, ok)
	}
}

func TestFetch(t *testing.T) {
	g, _ := Build(releases(), nil)
	body, _ := g.Marshal()
	var gotQuery string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotQuery = r.URL.RawQuery
		switch r.URL.Path {
		case "/ok/v1/graph":
			w.Write(body)
		case "/garbage/v1/graph":
			w.Write([]byte("{nodes: ["))
		default:
			http.Error(w, "nope", http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	q := Query{Basearch: "x86_64", Stream: "sisyphus"}
	got, err := Fetch(ctx, srv.Client(), srv.URL+"/ok/", q)
	if err != nil || len(got.Nodes) != 4 {
		t.Fatalf("Fetch(ok) = %v, %v, want 4 nodes", got, err)
	}
	if gotQuery != "basearch=x86_64&stream=sisyphus" {
		t.Errorf("Fetch sent query %q, want basearch=x86_64&stream=sisyphus", gotQuery)
	}
	for _, path := range []string{"/garbage", "/err"} {
		if _, err := Fetch(ctx, srv.Client(), srv.URL+path, q); err == nil {
			t.Errorf("Fetch(%s) = nil error, want an error", path)
		}
	}
	if _, err := Fetch(ctx, srv.Client(), "ftp://x", q); err == nil || !strings.Contains(err.Error(), "base_url") {
		t.Errorf("Fetch(ftp://x) error = %v, want one naming base_url", err)
	}
	w := 0.25
	if u, err := URL("http://h/base/", Query{Basearch: "x86_64", Stream: "p10", NodeUUID: "abc", Wariness: &w}); err != nil ||
		u != "http://h/base/v1/graph?basearch=x86_64&node_uuid=abc&rollout_wariness=0.25&stream=p10" {
		t.Errorf("URL() = %q, %v", u, err)
	}
	if _, err := Fetch(ctx, srv.Client(), "http://user:secret@127.0.0.1:1/", q); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("Fetch(credentials) error = %v, want an error without the password", err)
	}
}
