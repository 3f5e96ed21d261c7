package buildcli

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/internal/stdio"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
	"github.com/altcos/altcos-tools/updates/graph"
)

func graphTestCommit(t *testing.T, repo, version string) string {
	t.Helper()
	tree := t.TempDir()
	if err := os.WriteFile(filepath.Join(tree, "version"), []byte(version), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := run.Output(context.Background(), nil, run.Cmd{Argv: []string{"ostree", "commit", "--repo=" + repo,
		"--branch=altcos/x86_64/sisyphus", "--tree=dir=" + tree, "--add-metadata-string=version=" + version, "-s", version}})
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

func TestGraphCommand(t *testing.T) {
	tooltest.Tools(t, "ostree")
	repo := filepath.Join(t.TempDir(), "repo")
	if err := run.Run(context.Background(), nil, run.Cmd{Argv: []string{"ostree", "init", "--repo=" + repo, "--mode=archive"}}); err != nil {
		t.Fatal(err)
	}
	versions := []string{"sisyphus.20261101.0.0", "sisyphus.20261110.0.0", "sisyphus.20261125.0.0"}
	var sums []string
	for _, v := range versions {
		sums = append(sums, graphTestCommit(t, repo, v))
	}
	out := t.TempDir()
	deadList := filepath.Join(t.TempDir(), "dead-ends")
	os.WriteFile(deadList, []byte("# releases that need a manual step\nsisyphus.20261110.0.0 moves /var to btrfs\n"), 0o644)
	var stdout bytes.Buffer
	err := Run(context.Background(), []string{"graph", "--repo", repo, "--dead-ends", deadList, "-o", out},
		stdio.Stdio{Out: &stdout, Err: io.Discard})
	if err != nil {
		t.Fatalf("altcos-build graph = %v", err)
	}
	data, err := os.ReadFile(GraphPath(out, "x86_64", "sisyphus"))
	if err != nil {
		t.Fatal(err)
	}
	g, err := graph.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range g.Nodes {
		if n.Version != versions[i] || n.Payload != sums[i] || n.AgeIndex() != i || n.Metadata[graph.KeyScheme] != "checksum" {
			t.Errorf("node %d = %+v, want %s %s age %d", i, n, versions[i], sums[i], i)
		}
	}
	if !g.Nodes[1].DeadEnd() || g.Nodes[1].Metadata[graph.KeyDeadEndReason] != "moves /var to btrfs" {
		t.Errorf("node 1 metadata = %v, want a dead end with its reason", g.Nodes[1].Metadata)
	}
	// Every older release to every newer one, but nothing out of the dead end.
	want := [][2]int{{0, 1}, {0, 2}}
	if len(g.Edges) != len(want) || g.Edges[0] != want[0] || g.Edges[1] != want[1] {
		t.Errorf("edges = %v, want %v", g.Edges, want)
	}
	if !strings.Contains(stdout.String(), "3 releases, 2 edges") {
		t.Errorf("graph printed %q", stdout.String())
	}

	// serve answers the agent's query and the static path, and serves the repo.
	srv := httptest.NewServer(ServeHandler(repo, out))
	defer srv.Close()
	fetched, err := graph.Fetch(context.Background(), srv.Client(), srv.URL, graph.Query{Basearch: "x86_64", Stream: "sisyphus"})
	if err != nil || len(fetched.Nodes) != 3 {
		t.Errorf("Fetch(serve) = %v, %v, want 3 nodes", fetched, err)
	}
	if _, err := graph.Fetch(context.Background(), srv.Client(), srv.URL+"/x86_64/sisyphus", graph.Query{Basearch: "x86_64", Stream: "sisyphus"}); err != nil {
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

func TestGraphServeUsage(t *testing.T) {
	for _, args := range [][]string{{"graph"}, {"graph", "--repo", "r"}, {"serve"}} {
		err := Run(context.Background(), args, stdio.Stdio{Out: io.Discard, Err: io.Discard})
		var ue *UsageError
		if err == nil || !asUsage(err, &ue) {
			t.Errorf("Run(%v) = %v, want a usage error", args, err)
		}
	}
	if err := Run(context.Background(), []string{"serve", "--repo", t.TempDir()}, stdio.Stdio{Out: io.Discard, Err: io.Discard}); err == nil || !strings.Contains(err.Error(), "not an ostree repository") {
		t.Errorf("serve on a non-repo = %v", err)
	}
}
