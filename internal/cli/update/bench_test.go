package updatecli

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/ostree"
)

// upgradeBytes builds a sysroot from release v1 of tree, publishes v2
// (tree with file changed: 4 KiB replaced in its middle), with a static
// delta v1 -> v2 when withDelta, and runs `altcos-update upgrade`. It
// returns the bytes the first pull of v1 fetched (a full release), the
// bytes the upgrade fetched, and whether the upgrade asked for the delta.
func upgradeBytes(t *testing.T, tree map[string]string, file string, withDelta bool) (full, upgrade int64, usedDelta bool) {
	t.Helper()
	ctx := context.Background()
	work := t.TempDir()
	repo := archiveRepo(t, work)
	s1 := commitOn(t, repo, "sisyphus", "sisyphus.20261125.1.0", tree)
	srv := serveStreams(t, repo)
	_, common := newSysroot(t, work, srv.srv.URL, "sisyphus", "root=LABEL=root")
	full = srv.transferred()
	v2 := map[string]string{}
	for k, v := range tree {
		v2[k] = v
	}
	old := tree[file]
	v2[file] = old[:len(old)/2] + random(4<<10) + old[len(old)/2+4<<10:]
	s2 := commitOn(t, repo, "sisyphus", "sisyphus.20261126.1.0", v2)
	r := &ostree.Repo{Path: repo}
	if withDelta {
		if err := r.StaticDelta(ctx, s1.Checksum, s2.Checksum); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.SummaryUpdate(ctx); err != nil {
		t.Fatal(err)
	}
	srv.setGraph(t, "sisyphus", s1, s2)
	before := srv.transferred()
	srv.mu.Lock()
	n0 := len(srv.paths)
	srv.mu.Unlock()
	if out, err := runCLI(t, append([]string{"upgrade"}, common...)...); err != nil || !strings.Contains(out, "deployed sisyphus.20261126.1.0") {
		t.Fatalf("upgrade = %q, %v", out, err)
	}
	srv.mu.Lock()
	paths := slices.Clone(srv.paths[n0:])
	srv.mu.Unlock()
	t.Logf("upgrade requests: %v", paths)
	return full, srv.transferred() - before, slices.ContainsFunc(paths, func(p string) bool { return strings.Contains(p, "/deltas/") })
}

func random(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return string(b)
}

// TestUpgradeUsesStaticDelta: with a static delta v1 -> v2 in the served
// repository (and its summary), `altcos-update upgrade` fetches the delta:
// ostree pull finds it through the repository's delta index by itself,
// also when pulling a commit by checksum.
func TestUpgradeUsesStaticDelta(t *testing.T) {
	tier1(t)
	tree := map[string]string{"usr/lib/altcos/blob": random(64 << 10)}
	if _, _, used := upgradeBytes(t, tree, "usr/lib/altcos/blob", true); !used {
		t.Error("the upgrade did not fetch the static delta")
	}
	if _, _, used := upgradeBytes(t, tree, "usr/lib/altcos/blob", false); used {
		t.Error("the upgrade fetched a static delta where there is none")
	}
}

// TestBenchUpdate (make bench-update; ALTCOS_BENCH_UPDATE=1) measures in
// one run the bytes an `altcos-update upgrade` fetches over loopback HTTP
// for a release that changes 4 KiB in one 64 KiB file of a 200-file tree
// of random data (the worst case for compression): by objects and with a
// static delta, three times each, and the bytes of a full release pull.
func TestBenchUpdate(t *testing.T) {
	if os.Getenv("ALTCOS_BENCH_UPDATE") == "" {
		t.Skip("set ALTCOS_BENCH_UPDATE=1 (make bench-update)")
	}
	tier1(t)
	tree := map[string]string{}
	for i := 0; i < 200; i++ {
		tree[fmt.Sprintf("usr/lib/altcos/file%03d", i)] = random(64 << 10)
	}
	const runs = 3
	var full int64
	var objects, delta []int64
	usedAll := true
	for i := 0; i < runs; i++ {
		f, o, _ := upgradeBytes(t, tree, "usr/lib/altcos/file007", false)
		_, d, used := upgradeBytes(t, tree, "usr/lib/altcos/file007", true)
		full, objects, delta = f, append(objects, o), append(delta, d)
		usedAll = usedAll && used
	}
	slices.Sort(objects)
	slices.Sort(delta)
	fmt.Printf("bench-update: 4 KiB changed in one 64 KiB file of a %d-file tree of random data (%d runs each)\n", len(tree), runs)
	fmt.Printf("  full pull of a release:   %9d bytes\n", full)
	fmt.Printf("  upgrade by objects:       %9d bytes (median; min %d, max %d)\n", objects[runs/2], objects[0], objects[runs-1])
	fmt.Printf("  upgrade by static delta:  %9d bytes (median; min %d, max %d)\n", delta[runs/2], delta[0], delta[runs-1])
	if !usedAll {
		t.Error("an upgrade did not fetch the static delta")
	}
}
