package buildcli

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/internal/stdio"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
	"github.com/altcos/altcos-tools/ostree"
)

// TestDeltaCommand: `altcos-build delta --previous 2` writes the deltas to
// the head from the two releases before it and lists them in the summary;
// a second run keeps them.
func TestDeltaCommand(t *testing.T) {
	tooltest.Tools(t, "ostree")
	repo := filepath.Join(t.TempDir(), "repo")
	if err := run.Run(context.Background(), nil, run.Cmd{Argv: []string{"ostree", "init", "--repo=" + repo, "--mode=archive"}}); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"sisyphus.20261101.0.0", "sisyphus.20261110.0.0", "sisyphus.20261125.0.0"} {
		graphTestCommit(t, repo, v)
	}
	for i := 0; i < 2; i++ {
		var stdout bytes.Buffer
		if err := Run(context.Background(), []string{"delta", "--repo", repo, "--previous", "2"}, stdio.Stdio{Out: &stdout, Err: io.Discard}); err != nil {
			t.Fatalf("altcos-build delta = %v", err)
		}
		if n := strings.Count(stdout.String(), "static delta "); n != 2 {
			t.Errorf("altcos-build delta printed %d deltas, want 2:\n%s", n, stdout.String())
		}
	}
	ds, err := (&ostree.Repo{Path: repo}).StaticDeltas(context.Background())
	if err != nil || len(ds) != 2 {
		t.Errorf("static deltas = %v, %v; want 2", ds, err)
	}
	if _, err := os.Stat(filepath.Join(repo, "summary")); err != nil {
		t.Errorf("no summary: %v", err)
	}
	if err := Run(context.Background(), []string{"delta", "--repo", t.TempDir()}, stdio.Stdio{Out: io.Discard, Err: io.Discard}); err == nil || !strings.Contains(err.Error(), "not an ostree repository") {
		t.Errorf("delta on a non-repository = %v, want an error naming it", err)
	}
}
