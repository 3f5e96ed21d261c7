package graph

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
)

func testCommit(t *testing.T, repo, version string) string {
	t.Helper()
	tree := t.TempDir()
	if err := os.WriteFile(filepath.Join(tree, "version"), []byte(version), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := run.Output(context.Background(), nil, run.Cmd{Argv: []string{"ostree", "commit", "--repo=" + repo,
		"--branch=" + altcos.Ref(altcos.DefaultArch, "sisyphus"), "--tree=dir=" + tree, "--add-metadata-string=version=" + version, "-s", version}})
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// TestWriteFromRepoAndHandler writes the graph of a three-commit stream
// with a dead end and serves it as the agent queries it.
func TestWriteFromRepoAndHandler(t *testing.T) {
	tooltest.Tools(t, "ostree")
	ctx := context.Background()
	repo := filepath.Join(t.TempDir(), "repo")
	if err := run.Run(ctx, nil, run.Cmd{Argv: []string{"ostree", "init", "--repo=" + repo, "--mode=archive"}}); err != nil {
		t.Fatal(err)
	}
	versions := []string{"sisyphus.20261101.0.0", "sisyphus.20261110.0.0", "sisyphus.20261125.0.0"}
	var sums []string
	for _, v := range versions {
		sums = append(sums, testCommit(t, repo, v))
	}
	out := t.TempDir()
	g, p, err := WriteFromRepo(ctx, repo, "x86_64", "sisyphus", out, map[string]string{versions[1]: "moves /var to btrfs"})
	if err != nil {
		t.Fatalf("WriteFromRepo = %v", err)
	}
	if want := filepath.Join(out, "x86_64", "sisyphus", "v1", "graph"); p != want || Path(out, "x86_64", "sisyphus") != want {
		t.Errorf("WriteFromRepo path = %s, want %s", p, want)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if g2, err := Parse(data); err != nil || len(g2.Nodes) != len(g.Nodes) {
		t.Fatalf("Parse(written graph) = %v, %v; want %d nodes", g2, err, len(g.Nodes))
	}
	for i, n := range g.Nodes {
		if n.Version != versions[i] || n.Payload != sums[i] || n.AgeIndex() != i || n.Metadata[KeyScheme] != "checksum" {
			t.Errorf("node %d = %+v, want %s %s age %d", i, n, versions[i], sums[i], i)
		}
	}
	if !g.Nodes[1].DeadEnd() || g.Nodes[1].Metadata[KeyDeadEndReason] != "moves /var to btrfs" {
		t.Errorf("node 1 metadata = %v, want a dead end with its reason", g.Nodes[1].Metadata)
	}
	// Every older release to every newer one, but nothing out of the dead end.
	want := [][2]int{{0, 1}, {0, 2}}
	if len(g.Edges) != len(want) || g.Edges[0] != want[0] || g.Edges[1] != want[1] {
		t.Errorf("edges = %v, want %v", g.Edges, want)
	}
	if _, _, err := WriteFromRepo(ctx, repo, "x86_64", "p10", out, nil); err == nil {
		t.Errorf("WriteFromRepo(stream without a ref) = nil, want an error")
	}

	// The handler answers the agent's query and the static path, and serves the repo.
	srv := httptest.NewServer(Handler(repo, out))
	defer srv.Close()
	fetched, err := Fetch(ctx, srv.Client(), srv.URL, Query{Basearch: "x86_64", Stream: "sisyphus"})
	if err != nil || len(fetched.Nodes) != 3 {
		t.Errorf("Fetch(Handler) = %v, %v, want 3 nodes", fetched, err)
	}
	if _, err := Fetch(ctx, srv.Client(), srv.URL+"/x86_64/sisyphus", Query{Basearch: "x86_64", Stream: "sisyphus"}); err != nil {
		t.Errorf("Fetch(static path) = %v", err)
	}
	for path, code := range map[string]int{
		"/v1/graph?basearch=x86_64&stream=p10":    404,
		"/v1/graph?basearch=../x&stream=sisyphus": 400,
		"/repo/config": 200,
		"/repo/refs/heads/altcos/x86_64/sisyphus": 200,
	} {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != code {
			t.Errorf("GET %s = %d, want %d", path, resp.StatusCode, code)
		}
	}
}
