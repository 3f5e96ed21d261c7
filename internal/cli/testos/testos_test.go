package testoscli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/altcos/altcos-tools/internal/stdio"
	"github.com/altcos/altcos-tools/testos"
)

// TestRunCached: with the tree of the package list in the cache, altcos-testos
// prints its path without composing anything.
func TestRunCached(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "packages.txt")
	if err := os.WriteFile(list, []byte("# the test OS\nsystemd\nostree\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(dir, "cache")
	key := testos.Key(testos.DefaultSuite, testos.DefaultMirror, []string{"systemd", "ostree"})
	if err := os.MkdirAll(filepath.Join(cache, key, "tree"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cache, key, "done"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := Run(context.Background(), []string{"-packages", list, "-cache", cache}, stdio.Stdio{Out: &out, Err: io.Discard})
	if want := filepath.Join(cache, key, "tree") + "\n"; err != nil || out.String() != want {
		t.Errorf("Run = %v, printed %q; want the cached tree %q", err, out.String(), want)
	}
}

func TestRunUsage(t *testing.T) {
	var ue *stdio.UsageError
	if err := Run(context.Background(), []string{"-bogus"}, stdio.Stdio{Out: io.Discard, Err: io.Discard}); !errors.As(err, &ue) {
		t.Errorf("Run(-bogus) = %v, want a usage error", err)
	}
	if err := Run(context.Background(), []string{"-h"}, stdio.Stdio{Out: io.Discard, Err: io.Discard}); err != nil {
		t.Errorf("Run(-h) = %v, want nil", err)
	}
	if err := Run(context.Background(), []string{"-packages", filepath.Join(t.TempDir(), "none")}, stdio.Stdio{Out: io.Discard, Err: io.Discard}); err == nil {
		t.Errorf("Run(missing package list) = nil, want an error")
	}
}
