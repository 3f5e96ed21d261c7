package installer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/deployarchive"
	"github.com/altcos/altcos-tools/internal/gpg"
	"github.com/altcos/altcos-tools/internal/testkit/archivetest"
	"github.com/altcos/altcos-tools/internal/testkit/gpgtest"
	"github.com/altcos/altcos-tools/internal/testkit/sfdisktest"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
	"golang.org/x/sys/unix"
)

// untouched fails unless the sparse image holds no data at all: not one
// byte was written (what it was before the install).
func untouched(t *testing.T, img string) {
	t.Helper()
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if off, err := unix.Seek(int(f.Fd()), 0, unix.SEEK_DATA); !errors.Is(err, unix.ENXIO) {
		t.Errorf("the image %s has data at offset %d (%v), want it untouched", img, off, err)
	}
}

// TestInstallSignedURL: an --image-url install verifies the signatures of
// the manifest and the archive against the keyring. A server that changes
// both the archive and the manifest (with a matching sha256) is refused
// before anything is written; an archive whose signature fails only at
// its end is wiped even with --preserve-on-error; no signature is refused
// unless --insecure; the genuine signed release installs.
func TestInstallSignedURL(t *testing.T) {
	tooltest.Root(t)
	tooltest.Tools(t, installTools...)
	ctx := context.Background()
	key := gpgtest.NewKey(t, "ALTCOS Release")
	other := gpgtest.NewKey(t, "Mallory")
	archiveDir, m := archivetest.Build(t, "")
	archive := filepath.Join(archiveDir, deployarchive.ArchiveName)
	manifest := filepath.Join(archiveDir, deployarchive.ManifestName)
	for _, f := range []string{archive, manifest} {
		if _, err := key.Signer().SignFile(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	read := func(p string) []byte {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	good := map[string][]byte{
		deployarchive.ArchiveName:               read(archive),
		deployarchive.ManifestName:              read(manifest),
		deployarchive.ArchiveName + gpg.SigExt:  read(archive + gpg.SigExt),
		deployarchive.ManifestName + gpg.SigExt: read(manifest + gpg.SigExt),
	}
	// The tampered release: one byte of the archive changed and the
	// manifest rewritten with the new sha256, the old signatures kept.
	bad := append([]byte(nil), good[deployarchive.ArchiveName]...)
	bad[len(bad)/2] ^= 0xff
	tm := *m
	tm.Archive.SHA256 = sha256hex(bad)
	tampered := map[string][]byte{
		deployarchive.ArchiveName:               bad,
		deployarchive.ManifestName:              tm.Marshal(),
		deployarchive.ArchiveName + gpg.SigExt:  good[deployarchive.ArchiveName+gpg.SigExt],
		deployarchive.ManifestName + gpg.SigExt: good[deployarchive.ManifestName+gpg.SigExt],
	}
	with := func(files map[string][]byte, name string, b []byte) map[string][]byte {
		c := map[string][]byte{}
		for k, v := range files {
			c[k] = v
		}
		if b == nil {
			delete(c, name)
		} else {
			c[name] = b
		}
		return c
	}
	serve := func(t *testing.T, files map[string][]byte) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, ok := files[filepath.Base(r.URL.Path)]
			if !ok {
				http.NotFound(w, r)
				return
			}
			w.Write(b)
		}))
		t.Cleanup(srv.Close)
		return srv.URL + "/sisyphus/" + deployarchive.ArchiveName
	}

	refused := []struct {
		name    string
		files   map[string][]byte
		keyring string
		want    string
	}{
		{"archive and manifest tampered", tampered, key.Keyring, "does not verify (the data was changed after it was signed)"},
		{"signed by another key", good, other.Keyring, "signed by a key that is not in the keyring"},
		{"no manifest signature", with(good, deployarchive.ManifestName+gpg.SigExt, nil), key.Keyring, "or pass --insecure"},
		{"no archive signature", with(good, deployarchive.ArchiveName+gpg.SigExt, nil), key.Keyring, "or pass --insecure"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			img := sparseImage(t, 8<<30)
			err := Run(ctx, &Plan{Device: img, ImageMode: true, ImageURL: serve(t, tc.files), GPGKeyring: tc.keyring, Yes: true, PreserveOnError: true}, Env{})
			var se *StepError
			if !errors.As(err, &se) || se.Step != "open deploy archive" || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Run = %v, want an open-deploy-archive error containing %q", err, tc.want)
			}
			t.Logf("%s: %v", tc.name, err)
			untouched(t, img)
			noLoopsLeft(t, img)
		})
	}

	t.Run("no keyring", func(t *testing.T) {
		saved := DefaultKeyrings
		DefaultKeyrings = []string{filepath.Join(t.TempDir(), "none.gpg")}
		defer func() { DefaultKeyrings = saved }()
		img := sparseImage(t, 8<<30)
		err := Run(ctx, &Plan{Device: img, ImageMode: true, ImageURL: serve(t, good), Yes: true}, Env{})
		if err == nil || !strings.Contains(err.Error(), "give --gpg-keyring FILE") {
			t.Fatalf("Run without a keyring = %v, want a refusal naming --gpg-keyring", err)
		}
		untouched(t, img)
	})

	t.Run("insecure", func(t *testing.T) {
		img := sparseImage(t, 8<<30)
		files := with(with(good, deployarchive.ManifestName+gpg.SigExt, nil), deployarchive.ArchiveName+gpg.SigExt, nil)
		if err := Run(ctx, &Plan{Device: img, ImageMode: true, ImageURL: serve(t, files), Insecure: true, Yes: true, DryRun: true}, Env{}); err != nil {
			t.Fatalf("Run --insecure --dry-run of an unsigned image = %v, want nil", err)
		}
		untouched(t, img)
	})

	// The manifest is genuine, the archive's signature is of other data:
	// only the end of the stream tells, after much was written.
	t.Run("archive signature fails at the end", func(t *testing.T) {
		img := sparseImage(t, 8<<30)
		files := with(good, deployarchive.ArchiveName+gpg.SigExt, good[deployarchive.ManifestName+gpg.SigExt])
		err := Run(ctx, &Plan{Device: img, ImageMode: true, ImageURL: serve(t, files), GPGKeyring: key.Keyring, Yes: true, PreserveOnError: true}, Env{})
		var se *StepError
		if !errors.As(err, &se) || se.Step != "deploy" || !errors.Is(err, gpg.ErrBadSignature) {
			t.Fatalf("Run = %v, want a deploy StepError wrapping ErrBadSignature", err)
		}
		t.Logf("archive signature of other data: %v", err)
		wiped(t, img, "the failed verification (with --preserve-on-error)")
	})

	t.Run("signed", func(t *testing.T) {
		img := sparseImage(t, 8<<30)
		if err := Run(ctx, &Plan{Device: img, ImageMode: true, ImageURL: serve(t, good), GPGKeyring: key.Keyring, Yes: true}, Env{}); err != nil {
			t.Fatalf("Run of the signed release = %v", err)
		}
		if tab, ok := sfdisktest.Read(t, img); !ok || len(tab.Partitions) != 4 {
			t.Errorf("after the install sfdisk finds %+v, want 4 partitions", tab)
		}
		noLoopsLeft(t, img)
	})
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
