// Package archivetest builds a real deploy archive for tier-1 tests of the
// installer, with `altcos-build sysroot`'s library, from the small test
// commit of package testcommit or from a given repository. (It is apart
// from testcommit because package sysroot's own tests use testcommit.)
package archivetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/altcos/altcos-tools/deployarchive"
	"github.com/altcos/altcos-tools/deployarchive/sysroot"
	"github.com/altcos/altcos-tools/internal/testkit/testcommit"
)

// Build builds the deploy archive of the sisyphus stream of repo, or of the
// test commit when repo is "", and returns the folder that holds the archive
// and its manifest. The caller gates t on the tools (testcommit.Tools and
// what sysroot.Build runs).
func Build(t *testing.T, repo string) (dir string, m *deployarchive.Manifest) {
	t.Helper()
	ctx := context.Background()
	work := t.TempDir()
	if repo == "" {
		var err error
		if repo, _, err = testcommit.Make(ctx, work); err != nil {
			t.Fatal(err)
		}
	}
	dir = filepath.Join(work, "out")
	m, err := sysroot.Build(ctx, sysroot.Options{Repo: repo, Stream: "sisyphus", OutDir: dir})
	if err != nil {
		t.Fatalf("sysroot.Build(%s): %v", repo, err)
	}
	return dir, m
}
