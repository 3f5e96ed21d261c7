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

	"github.com/altcos/altcos-tools/internal/stdio"
)

// TestSiteCommand runs `altcos-build site` on a stream as `altcos-build
// stream` writes it; the page itself is image/site's (TestMake, and
// TestSiteInBrowser there).
func TestSiteCommand(t *testing.T) {
	streams, arts, out := t.TempDir(), t.TempDir(), filepath.Join(t.TempDir(), "site")
	os.WriteFile(filepath.Join(arts, "live.iso"), []byte("iso"), 0o644)
	os.WriteFile(filepath.Join(streams, "sisyphus.json"), []byte(`{"stream": "sisyphus", "metadata": {"last-modified": "2026-11-25T10:00:00Z"},
  "architectures": {"x86_64": {"artifacts": {"metal": {"release": "sisyphus.20261125.0.0",
    "formats": {"iso": {"disk": {"location": "live.iso", "sha256": "`+strings.Repeat("ab", 32)+`"}}}}}}}}`), 0o644)
	var stdout bytes.Buffer
	err := Run(context.Background(), []string{"site", "--stream-dir", streams, "--artifacts", arts, "--title", "Test <downloads>", "-o", out},
		stdio.Stdio{Out: &stdout, Err: io.Discard})
	if err != nil {
		t.Fatalf("altcos-build site = %v", err)
	}
	if want := filepath.Join(out, "index.html") + ": 1 streams, 1 releases, 1 files\n"; stdout.String() != want {
		t.Errorf("site printed %q, want %q", stdout.String(), want)
	}
	page, _ := os.ReadFile(filepath.Join(out, "index.html"))
	for _, want := range []string{"<title>Test &lt;downloads&gt;</title>", `"url":"artifacts/live.iso"`, `"size":3`} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("index.html lacks %s", want)
		}
	}
	for _, f := range []string{"app.js", "style.css"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("site: %v", err)
		}
	}
}

func TestSiteServeUsage(t *testing.T) {
	for _, args := range [][]string{{"site"}, {"site", "--stream-dir", "d"}, {"site", "-o", "x"}, {"serve"}, {"serve", "--site", "s", "extra"}} {
		err := Run(context.Background(), args, stdio.Stdio{Out: io.Discard, Err: io.Discard})
		var ue *stdio.UsageError
		if err == nil || !errors.As(err, &ue) {
			t.Errorf("Run(%v) = %v, want a usage error", args, err)
		}
	}
	missing := filepath.Join(t.TempDir(), "missing")
	if err := Run(context.Background(), []string{"serve", "--site", missing}, stdio.Stdio{Out: io.Discard, Err: io.Discard}); err == nil || !strings.Contains(err.Error(), "not a folder") {
		t.Errorf("serve --site %s = %v, want an error", missing, err)
	}
	var help bytes.Buffer
	Run(context.Background(), []string{"serve", "-h"}, stdio.Stdio{Out: io.Discard, Err: &help})
	for _, want := range []string{"/artifacts/NAME", "/repo/", "/v1/graph?basearch=ARCH&stream=S", "/streams/"} {
		if !strings.Contains(help.String(), want) {
			t.Errorf("serve -h lacks the layout's %s:\n%s", want, help.String())
		}
	}
}
