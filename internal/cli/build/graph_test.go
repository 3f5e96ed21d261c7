package buildcli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/internal/stdio"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
	"github.com/altcos/altcos-tools/updates/graph"
)

func graphTestCommit(t *testing.T, repo, version string) {
	t.Helper()
	tree := t.TempDir()
	if err := os.WriteFile(filepath.Join(tree, "version"), []byte(version), 0o644); err != nil {
		t.Fatal(err)
	}
	err := run.Run(context.Background(), nil, run.Cmd{Argv: []string{"ostree", "commit", "--repo=" + repo,
		"--branch=" + altcos.Ref(altcos.DefaultArch, altcos.DefaultStream), "--tree=dir=" + tree, "--add-metadata-string=version=" + version, "-s", version}})
	if err != nil {
		t.Fatal(err)
	}
}

// TestGraphCommand runs `altcos-build graph` with a dead-end list; the graph
// itself is updates/graph's (TestWriteFromRepoAndHandler).
func TestGraphCommand(t *testing.T) {
	tooltest.Tools(t, "ostree")
	repo := filepath.Join(t.TempDir(), "repo")
	if err := run.Run(context.Background(), nil, run.Cmd{Argv: []string{"ostree", "init", "--repo=" + repo, "--mode=archive"}}); err != nil {
		t.Fatal(err)
	}
	versions := []string{"sisyphus.20261101.0.0", "sisyphus.20261110.0.0", "sisyphus.20261125.0.0"}
	for _, v := range versions {
		graphTestCommit(t, repo, v)
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
	data, err := os.ReadFile(graph.Path(out, altcos.DefaultArch, altcos.DefaultStream))
	if err != nil {
		t.Fatal(err)
	}
	g, err := graph.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if !g.Nodes[1].DeadEnd() || g.Nodes[1].Metadata[graph.KeyDeadEndReason] != "moves /var to btrfs" {
		t.Errorf("node 1 metadata = %v, want a dead end with its reason", g.Nodes[1].Metadata)
	}
	if !strings.Contains(stdout.String(), "altcos/x86_64/sisyphus: 3 releases, 2 edges") {
		t.Errorf("graph printed %q", stdout.String())
	}
}

func TestGraphServeUsage(t *testing.T) {
	for _, args := range [][]string{{"graph"}, {"graph", "--repo", "r"}, {"serve"}} {
		err := Run(context.Background(), args, stdio.Stdio{Out: io.Discard, Err: io.Discard})
		var ue *stdio.UsageError
		if err == nil || !errors.As(err, &ue) {
			t.Errorf("Run(%v) = %v, want a usage error", args, err)
		}
	}
	if err := Run(context.Background(), []string{"serve", "--repo", t.TempDir()}, stdio.Stdio{Out: io.Discard, Err: io.Discard}); err == nil || !strings.Contains(err.Error(), "not an ostree repository") {
		t.Errorf("serve on a non-repo = %v", err)
	}
}
