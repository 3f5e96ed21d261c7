package vmtests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/internal/testkit/testcommit"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
	"github.com/altcos/altcos-tools/ostree"
)

// TestMakeV2 builds the update-rollback scenario's v2 from a small real
// commit (tier 1: ostree): v2 is v1's child on v1's ref with the minor
// version bumped, v1's metadata, the v2 marker and os-release, and the
// stream's graph offers it.
//
// The scenario itself is TestScenarios/update-rollback (make vmtest runs it
// last). Alone, after make compose sysroot qcow2:
//
//	ALTCOS_VMTEST=1 ALTCOS_VMTEST_ARTIFACTS=out go test -v -run 'TestScenarios/update-rollback' ./vmtests/
//
// ALTCOS_VMTEST_REPO names the repository of v1's commit when it is not
// out/repo; the scenario takes the host's port 8080.
func TestMakeV2(t *testing.T) {
	tooltest.Slow(t)
	tooltest.Tools(t, testcommit.Tools...)
	ctx := t.Context()
	src, v1commit, err := testcommit.Make(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{Out: t.TempDir()}
	v1 := deployed{Commit: v1commit, Version: testcommit.Version, Ref: testcommit.Ref}
	v2, repoDir, graphDir, err := makeV2(ctx, env, src, v1)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := altcos.ParseVersion(v1.Version)
	want.Minor++
	if v2.Version != want.String() || !ostree.IsChecksum(v2.Commit) {
		t.Fatalf("makeV2() = %+v, want version %s and a checksum", v2, want)
	}
	repo := &ostree.Repo{Path: repoDir}
	if head, err := repo.RevParse(ctx, v1.Ref); err != nil || head != v2.Commit {
		t.Errorf("%s in the scenario's repo = %s, %v, want v2 %s", v1.Ref, head, err, v2.Commit)
	}
	if parent, err := repo.RevParse(ctx, v2.Commit+"^"); err != nil || parent != v1.Commit {
		t.Errorf("v2's parent = %s, %v, want v1 %s", parent, err, v1.Commit)
	}
	for key, want := range map[string]string{altcos.MetaVersion: v2.Version, altcos.MetaIgnitionSpec: testcommit.IgnitionSpec} {
		if got, err := repo.Metadata(ctx, v2.Commit, key); err != nil || got != want {
			t.Errorf("v2 metadata %s = %q, %v, want %q", key, got, err, want)
		}
	}
	var marker, osRelease strings.Builder
	if err := repo.Cat(ctx, v2.Commit, v2Marker, &marker); err != nil || marker.String() != v2.Version+"\n" {
		t.Errorf("v2's %s = %q, %v, want %q", v2Marker, marker.String(), err, v2.Version+"\n")
	}
	if err := repo.Cat(ctx, v2.Commit, "/usr/lib/os-release", &osRelease); err != nil || !strings.Contains(osRelease.String(), "ALT Container OS") {
		t.Errorf("v2's os-release = %q, %v, want v1's", osRelease.String(), err)
	}
	// The graph: some file under graphDir names both releases.
	found := false
	_ = filepath.WalkDir(graphDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			found = found || strings.Contains(string(b), v1.Version) && strings.Contains(string(b), v2.Version)
		}
		return nil
	})
	if !found {
		t.Errorf("no graph under %s names %s and %s", graphDir, v1.Version, v2.Version)
	}
	// v1 in the repo the commits came from is left as it was.
	if out, err := run.Output(ctx, nil, run.Cmd{Argv: ostree.RepoArgs(src, "rev-parse", v1.Ref)}); err != nil || strings.TrimSpace(string(out)) != v1.Commit {
		t.Errorf("the source repo's %s = %s, %v, want v1 untouched", v1.Ref, out, err)
	}
}
