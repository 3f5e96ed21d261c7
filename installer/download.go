package installer

// Download: the artifacts of a stream's newest release (ISO, QCOW2, PXE
// files, deploy archive), as coreos-installer download fetches Fedora
// CoreOS's. Each file is written under a temporary name in the target
// folder, its sha256 (from the stream) and detached signature (the
// keyring's keys: --gpg-keyring or the live medium's) checked, and only
// then renamed to its own name: a failed or tampered download leaves no
// file under the final name. --decompress unpacks an .xz variant with xz
// and checks its uncompressed-sha256.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/altcos/altcos-tools/deployarchive"
	"github.com/altcos/altcos-tools/image/stream"
	"github.com/altcos/altcos-tools/internal/fsutil"
	"github.com/altcos/altcos-tools/internal/gpg"
	"github.com/altcos/altcos-tools/internal/run"
)

// DownloadFormats maps download's format names to the stream's platform
// and format; the stream's own format names (qcow2.xz, pxe.xz, tar.zst)
// are accepted too.
var DownloadFormats = map[string][2]string{
	"iso": {"metal", "iso"}, "pxe": {"metal", "pxe"}, "pxe.xz": {"metal", "pxe.xz"},
	"deploy": {"metal", "tar.zst"}, "tar.zst": {"metal", "tar.zst"},
	"qcow2": {"qemu", "qcow2"}, "qcow2.xz": {"qemu", "qcow2.xz"},
}

// DownloadOptions say what Download fetches and how it is checked.
type DownloadOptions struct {
	StreamBaseURL, Stream, Arch string
	Format                      string // a key of DownloadFormats
	Dir                         string // where the files go
	Decompress                  bool   // unpack .xz files (their uncompressed-sha256 checked)
	Keyring                     string // "": DefaultKeyrings
	Insecure                    bool   // skip the signatures (sha256 still checked)
	Log                         *slog.Logger
	Progress                    Reporter
}

// FetchStream reads the stream metadata BASE/<stream>.json.
func FetchStream(ctx context.Context, base, name string) (*stream.Metadata, error) {
	su, err := stream.URL(base, name)
	if err != nil {
		return nil, err
	}
	body, err := httpGet(ctx, su)
	if err != nil {
		return nil, fmt.Errorf("fetch stream metadata %s: %w; check the stream name and the stream base URL (altcos-build serve publishes /streams/<stream>.json)", redact(su), err)
	}
	defer body.Close()
	m, err := stream.Decode(body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", redact(su), err)
	}
	return m, nil
}

// Download fetches one format of the stream's newest release into
// o.Dir and returns the paths written. The deploy archive comes with its
// manifest (deploy.json, signed too), so that the folder installs with
// --image-file.
func Download(ctx context.Context, o DownloadOptions) ([]string, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Progress == nil {
		o.Progress = nopReporter{}
	}
	pf, ok := DownloadFormats[o.Format]
	if !ok {
		return nil, fmt.Errorf("format %q unknown; use iso, qcow2, pxe or deploy (or the stream's qcow2.xz, pxe.xz, tar.zst)", o.Format)
	}
	ring := ""
	if !o.Insecure {
		var err error
		if ring, err = Keyring(o.Keyring); err != nil {
			return nil, err
		}
	}
	if fi, err := os.Stat(o.Dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("download folder %s: not a folder (%v); create it or give another -C", o.Dir, err)
	}
	m, err := FetchStream(ctx, o.StreamBaseURL, o.Stream)
	if err != nil {
		return nil, err
	}
	files, release, err := m.Format(o.Arch, pf[0], pf[1])
	if err != nil {
		return nil, err
	}
	o.Progress.Info(fmt.Sprintf("stream %s: release %s, %s %s for %s", o.Stream, release, pf[0], pf[1], o.Arch))
	var out []string
	for _, role := range []string{"disk", "kernel", "initramfs", "rootfs"} {
		a, ok := files[role]
		if !ok {
			continue
		}
		p, err := downloadOne(ctx, o, ring, a)
		if err != nil {
			return out, err
		}
		out = append(out, p...)
		if pf[1] == "tar.zst" {
			// The manifest beside the archive: signed, not in the stream.
			mp, err := downloadManifest(ctx, o, ring, a)
			if err != nil {
				return out, err
			}
			out = append(out, mp...)
		}
	}
	return out, nil
}

// downloadOne fetches artifact a into o.Dir (decompressed when asked) and
// its signature beside it (not for a decompressed file: the signature is
// the compressed file's).
func downloadOne(ctx context.Context, o DownloadOptions, ring string, a stream.Artifact) ([]string, error) {
	u, err := url.Parse(a.Location)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("stream %s: artifact location %q is not an http(s) URL", o.Stream, a.Location)
	}
	name := path.Base(u.Path)
	if name == "/" || name == "." || strings.HasPrefix(name, ".") {
		return nil, fmt.Errorf("stream %s: artifact location %s names no file", o.Stream, u.Redacted())
	}
	sig, err := artifactSig(ctx, o, ring, u, a.Signature)
	if err != nil {
		return nil, err
	}
	dst := filepath.Join(o.Dir, name)
	o.Progress.Info("downloading " + u.Redacted())
	unpack := o.Decompress && strings.HasSuffix(name, ".xz")
	if !unpack {
		if err := fsutil.WriteAtomicFile(dst, 0o644, func(f *os.File) error {
			return fetchChecked(ctx, o, ring, u, a.SHA256, sig, f)
		}); err != nil {
			return nil, err
		}
		if sig == nil {
			return []string{dst}, nil
		}
		if err := fsutil.WriteFileAtomic(dst+gpg.SigExt, sig, 0o644); err != nil {
			return nil, err
		}
		return []string{dst, dst + gpg.SigExt}, nil
	}
	if a.UncompressedSHA256 == "" {
		return nil, fmt.Errorf("stream %s: %s has no uncompressed-sha256 to check the decompressed file against; download it without --decompress", o.Stream, name)
	}
	dst = strings.TrimSuffix(dst, ".xz")
	tmp, err := os.CreateTemp(o.Dir, "."+name+".tmp-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if err := fetchChecked(ctx, o, ring, u, a.SHA256, sig, tmp); err != nil {
		return nil, fmt.Errorf("write %s: %w", dst, err)
	}
	if err := fsutil.WriteAtomicFile(dst, 0o644, func(f *os.File) error {
		h := sha256.New()
		if err := run.Run(ctx, o.Log, run.Cmd{Argv: []string{"xz", "-dc", tmp.Name()}, Stdout: io.MultiWriter(f, h)}); err != nil {
			return fmt.Errorf("decompress %s: %w", name, err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != a.UncompressedSHA256 {
			return fmt.Errorf("decompressed %s has sha256 %s, the stream says %s (uncompressed-sha256)", name, got, a.UncompressedSHA256)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	return []string{dst}, nil
}

// downloadManifest fetches the deploy archive's manifest (beside the
// archive a) and checks it names the archive the stream does.
func downloadManifest(ctx context.Context, o DownloadOptions, ring string, a stream.Artifact) ([]string, error) {
	u, _ := url.Parse(a.Location)
	mu := *u
	mu.Path = path.Join(path.Dir(u.Path), deployarchive.ManifestName)
	sig, err := artifactSig(ctx, o, ring, &mu, "")
	if err != nil {
		return nil, err
	}
	dst := filepath.Join(o.Dir, deployarchive.ManifestName)
	err = fsutil.WriteAtomicFile(dst, 0o644, func(f *os.File) error {
		if err := fetchChecked(ctx, o, ring, &mu, "", sig, f); err != nil {
			return err
		}
		b, err := os.ReadFile(f.Name())
		if err != nil {
			return err
		}
		m, err := deployarchive.ParseManifest(b)
		if err != nil {
			return fmt.Errorf("manifest %s: %w", mu.Redacted(), err)
		}
		if m.Archive.SHA256 != a.SHA256 {
			return fmt.Errorf("manifest %s names an archive of sha256 %s, the stream %s: the release is inconsistent", mu.Redacted(), m.Archive.SHA256, a.SHA256)
		}
		return nil
	})
	if err != nil || sig == nil {
		return []string{dst}, err
	}
	return []string{dst, dst + gpg.SigExt}, fsutil.WriteFileAtomic(dst+gpg.SigExt, sig, 0o644)
}

// artifactSig fetches the signature of the file at u (at sigURL, or u.sig
// when ""): nil with --insecure; a missing one is an error.
func artifactSig(ctx context.Context, o DownloadOptions, ring string, u *url.URL, sigURL string) ([]byte, error) {
	if o.Insecure {
		return nil, nil
	}
	if sigURL == "" {
		return fetchSig(ctx, u)
	}
	su, err := url.Parse(sigURL)
	if err != nil {
		return nil, fmt.Errorf("stream %s: signature URL %q: %w", o.Stream, sigURL, err)
	}
	return fetchSigAt(ctx, u, su)
}

// fetchChecked writes the file at u to f, checks its sha256 (when sum is
// given) and then its signature sig against ring (when sig is not nil).
func fetchChecked(ctx context.Context, o DownloadOptions, ring string, u *url.URL, sum string, sig []byte, f *os.File) error {
	body, err := httpGet(ctx, u.String())
	if err != nil {
		return fmt.Errorf("fetch %s: %w", u.Redacted(), err)
	}
	defer body.Close()
	h := sha256.New()
	if _, err := io.CopyBuffer(io.MultiWriter(f, h), body, make([]byte, 1<<20)); err != nil {
		return fmt.Errorf("fetch %s: %w", u.Redacted(), err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); sum != "" && got != sum {
		return fmt.Errorf("%s has sha256 %s, the stream says %s; the download was damaged or changed on the way", u.Redacted(), got, sum)
	}
	if sig == nil {
		return nil
	}
	sp, rm, err := gpg.WriteTemp(sig)
	if err != nil {
		return err
	}
	defer rm()
	if err := gpg.Verify(ctx, o.Log, ring, sp, f.Name()); err != nil {
		return untrusted(u, ring, err)
	}
	what := "sha256 and signature"
	if sum == "" {
		what = "signature" // the manifest: no sha256 in the stream
	}
	o.Progress.Info(fmt.Sprintf("%s: %s verified (keyring %s)", path.Base(u.Path), what, ring))
	return nil
}
