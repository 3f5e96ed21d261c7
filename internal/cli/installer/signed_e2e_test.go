package installercli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
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
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
	"golang.org/x/sys/unix"
)

// fileSHA256 is the sha256 of a sparse file's content, read extent by
// extent (holes read as zeros, so equal digests mean equal bytes): an
// 8 GiB image compares in milliseconds.
func fileSHA256(t *testing.T, p string) string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	h := sha256.New()
	fmt.Fprintf(h, "size %d\n", fi.Size())
	for off := int64(0); off < fi.Size(); {
		data, err := unix.Seek(int(f.Fd()), off, unix.SEEK_DATA)
		if errors.Is(err, unix.ENXIO) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		hole, err := unix.Seek(int(f.Fd()), data, unix.SEEK_HOLE)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "extent %d %d\n", data, hole-data)
		if _, err := io.Copy(h, io.NewSectionReader(f, data, hole-data)); err != nil {
			t.Fatal(err)
		}
		off = hole
	}
	return hex.EncodeToString(h.Sum(nil))
}

// installTarget makes an 8 GiB sparse image file with a little content in
// dir and returns it, its fileSHA256 and the install arguments of an
// unattended install of it (no kernel arguments, no config files, an
// Ignition config) that the caller completes with its image source.
func installTarget(t *testing.T, dir string) (img, sum string, args []string) {
	t.Helper()
	none := filepath.Join(dir, "none")
	os.WriteFile(none, nil, 0o644)
	cfg := filepath.Join(dir, "config.ign")
	os.WriteFile(cfg, []byte(ign33), 0o600)
	img = filepath.Join(dir, "disk.img")
	f, err := os.Create(img)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(8 << 30)
	// A few bytes of data, so the image has a content to compare.
	f.WriteAt([]byte("disk content before the install"), 4<<20)
	f.Close()
	return img, fileSHA256(t, img), []string{"install", "--cmdline-file", none, "--config-dir", none, "--yes", "--no-reboot", "-i", cfg}
}

// TestInstallSignedURLEndToEnd: `altcos-installer install --image-url
// http://127.0.0.1:PORT/...` of a release whose archive and manifest the
// server changed (sha256 in the manifest fixed up, signatures kept) exits
// non-zero naming the bad signature, and the image file's sha256 is what it
// was; the genuine signed release installs with --gpg-keyring.
func TestInstallSignedURLEndToEnd(t *testing.T) {
	tooltest.Slow(t)
	tooltest.Root(t)
	tooltest.Tools(t, "ostree", "busybox", "losetup", "sfdisk", "mkfs.ext4", "mkfs.vfat", "grub-mkimage", "mmd", "mcopy", "blkid")
	ctx := context.Background()
	key := gpgtest.NewKey(t, "ALTCOS Release")
	dir := t.TempDir()
	out, m := archivetest.Build(t, "")
	archive, manifest := filepath.Join(out, deployarchive.ArchiveName), filepath.Join(out, deployarchive.ManifestName)
	for _, f := range []string{archive, manifest} {
		if _, err := key.Signer().SignFile(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	// The tampering server: the archive changed, the manifest's sha256
	// made to match, the genuine signatures served beside them.
	bad, _ := os.ReadFile(archive)
	bad[len(bad)/3] ^= 0x55
	sum := sha256.Sum256(bad)
	tm := *m
	tm.Archive.SHA256 = hex.EncodeToString(sum[:])
	tampered := map[string][]byte{deployarchive.ArchiveName: bad, deployarchive.ManifestName: tm.Marshal()}
	serve := func(override map[string][]byte) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			name := filepath.Base(r.URL.Path)
			if b, ok := override[name]; ok {
				w.Write(b)
				return
			}
			http.ServeFile(w, r, filepath.Join(out, name))
		}))
		t.Cleanup(srv.Close)
		return srv.URL + "/sisyphus/" + deployarchive.ArchiveName
	}
	img, before, base := installTarget(t, dir)
	base = append(base, "--gpg-keyring", key.Keyring)

	r := runCLI(t, "", append(base, "--image-url", serve(tampered), img)...)
	if r.code == 0 || !strings.Contains(r.errout, "is not signed by a key of "+key.Keyring) || !strings.Contains(r.errout, "data was changed after it was signed") {
		t.Fatalf("install of a tampered release: exit %d\n%s\n%s\nwant a refusal naming the bad signature", r.code, r.out, r.errout)
	}
	t.Logf("tampered release: exit %d: %s", r.code, strings.TrimSpace(r.errout))
	if after := fileSHA256(t, img); after != before {
		t.Errorf("image sha256 after the refused install = %s, want %s (unchanged)", after, before)
	}

	r = runCLI(t, "", append(base, "--image-url", serve(nil), img)...)
	if r.code != 0 {
		t.Fatalf("install of the signed release: exit %d\n%s\n%s", r.code, r.out, r.errout)
	}
	if _, err := os.Stat(archive + gpg.SigExt); err != nil {
		t.Fatal(err)
	}
}
