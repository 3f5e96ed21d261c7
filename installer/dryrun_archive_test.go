package installer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/deployarchive"
	"github.com/altcos/altcos-tools/internal/testkit/archivetest"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
)

// TestDryRunChecksLocalArchive: a real install checks a local archive's
// sha256 while it deploys; --dry-run writes nothing, so it reads the whole
// archive instead and refuses one that differs from its manifest, with the
// image file untouched.
func TestDryRunChecksLocalArchive(t *testing.T) {
	tooltest.Root(t)
	tooltest.Tools(t, installTools...)
	archiveDir, m := archivetest.Build(t, "")
	data, err := os.ReadFile(filepath.Join(archiveDir, deployarchive.ArchiveName))
	if err != nil {
		t.Fatal(err)
	}
	otherSum := *m
	otherSum.Archive.SHA256 = strings.Repeat("0", 64)
	for _, tc := range []struct {
		name     string
		manifest *deployarchive.Manifest
		is       error
	}{
		{"matching", m, nil},
		{"sha256 differs", &otherSum, deployarchive.ErrChecksum},
	} {
		t.Run(tc.name, func(t *testing.T) {
			archive := writeArchive(t, data, tc.manifest)
			img := filepath.Join(t.TempDir(), "disk.img")
			before := bytes.Repeat([]byte("untouched"), 1<<10)
			if err := os.WriteFile(img, before, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(img, 8<<30); err != nil { // sparse, big enough
				t.Fatal(err)
			}
			var infos []string
			rep := &recordingReporter{onInfo: func(msg string) { infos = append(infos, msg) }}
			err := Run(context.Background(), &Plan{Device: img, ImageMode: true, ImageFile: archive, Yes: true, DryRun: true}, Env{Progress: rep})
			if tc.is == nil {
				if err != nil {
					t.Fatalf("Run --dry-run = %v, want nil", err)
				}
				if !strings.Contains(strings.Join(infos, "\n"), "sha256 "+m.Archive.SHA256+" matches") {
					t.Errorf("Run --dry-run said %q, want the archive's sha256 checked", infos)
				}
			} else {
				var se *StepError
				if !errors.As(err, &se) || se.Step != "open deploy archive" || !errors.Is(err, tc.is) || !strings.Contains(err.Error(), archive) {
					t.Fatalf("Run --dry-run with a damaged archive = %v, want an open deploy archive StepError naming %s and wrapping %v", err, archive, tc.is)
				}
			}
			f, err := os.Open(img)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			after := make([]byte, len(before))
			if _, err := io.ReadFull(f, after); err != nil || !bytes.Equal(after, before) {
				t.Errorf("the image file changed in a dry run")
			}
		})
	}
}
