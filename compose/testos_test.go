package compose

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/ostree"
	"github.com/altcos/altcos-tools/testos"
	"github.com/klauspost/compress/zstd"
)

// testOSTree builds (or reuses) the test OS tree in the project's cache,
// the same one `make testos` makes.
func testOSTree(t *testing.T, ctx context.Context) string {
	t.Helper()
	cache, err := filepath.Abs("../.cache/testos")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	res, err := testos.Build(ctx, testos.Options{Packages: testos.StreamList("../testos", "sisyphus"), Cache: cache, Log: log})
	if err != nil {
		t.Fatalf("testos.Build() error %v", err)
	}
	t.Logf("test OS tree %s (cached: %v)", res.Tree, res.Reused)
	return res.Tree
}

// initramfsList lists the gzip-compressed initramfs at path in rev with cpio.
func initramfsList(t *testing.T, ctx context.Context, r *ostree.Repo, rev, path string) string {
	t.Helper()
	var img bytes.Buffer
	if err := r.Cat(ctx, rev, path, &img); err != nil {
		t.Fatalf("ostree cat %s: %v", path, err)
	}
	// dracut --compress zstd: unpacked faster at boot than its default gzip.
	zr, err := zstd.NewReader(&img)
	if err != nil {
		t.Fatalf("initramfs %s is not zstd: %v", path, err)
	}
	defer zr.Close()
	out, err := run.Output(ctx, nil, run.Cmd{Argv: []string{"cpio", "-t", "--quiet"}, Stdin: zr})
	if err != nil {
		t.Fatalf("list initramfs %s: %v", path, err)
	}
	return string(out)
}
