package buildcli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/deployarchive"
	"github.com/altcos/altcos-tools/image/stream"
	"github.com/altcos/altcos-tools/internal/stdio"
	"github.com/altcos/altcos-tools/updates/graph"
)

// TestStreamReleasesGraph: two releases through `altcos-build stream
// --releases`, then `altcos-build graph --releases`: the stream lists the
// deploy archive and the QCOW2 (+ .xz) under the base URL with signature
// URLs for signed files, releases.json both releases oldest first with
// their commits and per-release metadata, and the graph an edge 0 -> 1.
func TestStreamReleasesGraph(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1795000000")
	dir := t.TempDir()
	arch, pub := filepath.Join(dir, "archive"), filepath.Join(dir, "pub")
	os.MkdirAll(arch, 0o755)
	os.WriteFile(filepath.Join(arch, deployarchive.ArchiveName), []byte("archive"), 0o644)
	os.WriteFile(filepath.Join(arch, deployarchive.ArchiveName+".sig"), []byte("sig"), 0o644)
	qcow := filepath.Join(dir, "altcos.qcow2")
	os.WriteFile(qcow, []byte("qcow2"), 0o644)
	os.WriteFile(qcow+".xz", []byte("qcow2.xz"), 0o644)
	index := filepath.Join(pub, stream.IndexName)
	commits := []string{strings.Repeat("a", 64), strings.Repeat("b", 64)}
	for i, v := range []string{"sisyphus.20261125.0.0", "sisyphus.20261126.0.0"} {
		m := deployarchive.Manifest{Format: 1, OSName: "alt-containeros", Arch: "x86_64", Stream: "sisyphus", Ref: "altcos/x86_64/sisyphus",
			Version: v, Commit: commits[i], Archive: deployarchive.FileInfo{Name: deployarchive.ArchiveName, Size: 7, SHA256: strings.Repeat("c", 64)}, RootBytes: 1, BootBytes: 1}
		os.WriteFile(filepath.Join(arch, deployarchive.ManifestName), m.Marshal(), 0o644)
		var out, errb bytes.Buffer
		err := Run(context.Background(), []string{"stream", "--archive", arch, "--qcow2", qcow, "--base-url", "https://altcos.example/sisyphus/",
			"--releases", index, "-o", filepath.Join(pub, "sisyphus.json")}, stdio.Stdio{Out: &out, Err: &errb})
		if err != nil {
			t.Fatalf("stream %s: %v\n%s", v, err, errb.String())
		}
	}
	var s stream.Metadata
	b, _ := os.ReadFile(filepath.Join(pub, "sisyphus.json"))
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	a := s.Architectures["x86_64"].Artifacts
	if d := a["metal"].Formats["tar.zst"]["disk"]; d.Location != "https://altcos.example/sisyphus/deploy.tar.zst" || d.Signature != d.Location+".sig" {
		t.Errorf("metal tar.zst = %+v, want the deploy archive with its signature", d)
	}
	if d := a["qemu"].Formats["qcow2.xz"]["disk"]; d.UncompressedSHA256 == "" || d.Signature != "" || a["qemu"].Release != "sisyphus.20261126.0.0" {
		t.Errorf("qemu qcow2.xz = %+v (release %s), want uncompressed-sha256, no signature, the newest release", d, a["qemu"].Release)
	}
	ix, err := stream.ReadIndex(index, "sisyphus")
	if err != nil {
		t.Fatal(err)
	}
	if len(ix.Releases) != 2 || ix.Releases[1].Version != "sisyphus.20261126.0.0" || ix.Releases[1].Commits[0].Checksum != commits[1] ||
		ix.Releases[0].MetadataURL != "https://altcos.example/sisyphus/releases/sisyphus.20261125.0.0.json" {
		t.Errorf("releases.json = %+v, want both releases oldest first", ix)
	}
	if _, err := os.Stat(filepath.Join(pub, "releases", "sisyphus.20261125.0.0.json")); err != nil {
		t.Errorf("the first release's own metadata: %v", err)
	}

	var out, errb bytes.Buffer
	if err := Run(context.Background(), []string{"graph", "--releases", index, "-o", filepath.Join(dir, "graph")}, stdio.Stdio{Out: &out, Err: &errb}); err != nil {
		t.Fatalf("graph --releases: %v\n%s", err, errb.String())
	}
	gb, err := os.ReadFile(graph.Path(filepath.Join(dir, "graph"), "x86_64", "sisyphus"))
	if err != nil {
		t.Fatal(err)
	}
	g, err := graph.Parse(gb)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Nodes) != 2 || g.Nodes[1].Payload != commits[1] || len(g.Edges) != 1 || g.Edges[0] != [2]int{0, 1} {
		t.Errorf("graph from releases.json = %+v, want 2 nodes and the edge 0 -> 1", g)
	}
}
