package installer

// Step "open deploy archive": find the archive and its manifest (the live
// medium's, a local file, or https), check them, and refuse a disk too small
// for them, all before anything is written.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"

	"github.com/altcos/altcos-tools/deployarchive"
	layout "github.com/altcos/altcos-tools/installer/partition"
)

// hostArch is the architecture the installer accepts archives for; a
// variable so tests can pretend to be another machine.
var hostArch = deployarchive.HostArch

// DefaultArchive is the deploy archive on the live medium.
var DefaultArchive = filepath.Join(deployarchive.LiveMount, deployarchive.MediumDir, deployarchive.ArchiveName)

func openArchive(ctx context.Context, s *state) error {
	p := s.plan
	switch {
	case p.ImageURL != "":
		if err := openURLArchive(ctx, s, p.ImageURL); err != nil {
			return err
		}
	default:
		file := p.ImageFile
		if file == "" {
			file = DefaultArchive
		}
		if err := openFileArchive(s, file); err != nil {
			return err
		}
	}
	if err := s.manifest.CheckArch(hostArch()); err != nil {
		return err
	}
	if p.Stream != "" && p.Stream != s.manifest.Stream {
		return fmt.Errorf("deploy archive is stream %s (%s), not %s; choose the %s image or drop --stream", s.manifest.Stream, s.manifest.Version, p.Stream, p.Stream)
	}
	return checkDiskSize(p, s.manifest, s.kept)
}

// manifestPath is the manifest next to a local archive.
func manifestPath(archive string) string {
	return filepath.Join(filepath.Dir(archive), deployarchive.ManifestName)
}

func openFileArchive(s *state, file string) error {
	m, err := deployarchive.ReadManifest(manifestPath(file))
	if err != nil {
		return fmt.Errorf("%w; the manifest must sit next to the archive %s", err, file)
	}
	fi, err := os.Stat(file)
	if err != nil {
		return fmt.Errorf("deploy archive: %w", err)
	}
	if fi.Size() != m.Archive.Size {
		cause := deployarchive.ErrTooLong
		if fi.Size() < m.Archive.Size {
			cause = deployarchive.ErrTruncated
		}
		return fmt.Errorf("deploy archive %s is %d bytes, its manifest says %d: %w; copy it again", file, fi.Size(), m.Archive.Size, cause)
	}
	// The sha256 is checked as the deploy step streams the archive, not in
	// a pass of its own before (which read the whole archive twice: ~50 s
	// of silence on a slow medium); as for an https archive, a mismatch
	// then wipes what was written, even with --preserve-on-error.
	s.manifest = m
	s.streamed = true
	s.archive = func(ctx context.Context) (io.ReadCloser, error) {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		return struct {
			io.Reader
			io.Closer
		}{deployarchive.NewVerifier(f, m.Archive.Size, m.Archive.SHA256), f}, nil
	}
	s.env.Log.Info("deploy archive", "file", file, "version", m.Version, "commit", m.Commit)
	return nil
}

func openURLArchive(ctx context.Context, s *state, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return errors.New("image URL is not an http(s) URL")
	}
	mu := *u
	mu.Path = path.Join(path.Dir(u.Path), deployarchive.ManifestName)
	body, err := httpGet(ctx, mu.String())
	if err != nil {
		return fmt.Errorf("fetch manifest %s: %w", mu.Redacted(), err)
	}
	b, err := io.ReadAll(io.LimitReader(body, 1<<20))
	body.Close()
	if err != nil {
		return fmt.Errorf("fetch manifest %s: %w", mu.Redacted(), err)
	}
	// verify.go: the manifest's signature before its sha256 is trusted,
	// the archive's signature fetched now and checked while it streams.
	signed := func(_ context.Context, r io.Reader) (io.ReadCloser, error) { return io.NopCloser(r), nil }
	if s.plan.Insecure {
		s.env.Log.Warn("installing an image without checking its signature (--insecure)", "url", u.Redacted())
	} else {
		ring, err := keyring(s.plan)
		if err != nil {
			return err
		}
		sig, err := fetchSig(ctx, &mu)
		if err != nil {
			return err
		}
		if err := verifyBytes(ctx, s, ring, &mu, b, sig); err != nil {
			return err
		}
		if signed, err = signedArchive(ctx, s, ring, u); err != nil {
			return err
		}
		s.env.Log.Info("deploy archive manifest signature verified", "keyring", ring)
	}
	m, err := deployarchive.ParseManifest(b)
	if err != nil {
		return fmt.Errorf("manifest %s: %w", mu.Redacted(), err)
	}
	s.manifest = m
	// The archive streams once; its signature, sha256 and size are checked
	// on the fly and a mismatch fails the deploy step, which wipes the disk
	// (even with --preserve-on-error: see Run).
	s.streamed = true
	s.archive = func(ctx context.Context) (io.ReadCloser, error) {
		body, err := httpGet(ctx, u.String())
		if err != nil {
			return nil, fmt.Errorf("fetch deploy archive %s: %w", u.Redacted(), err)
		}
		sr, err := signed(ctx, body)
		if err != nil {
			body.Close()
			return nil, err
		}
		return struct {
			io.Reader
			io.Closer
		}{deployarchive.NewVerifier(sr, m.Archive.Size, m.Archive.SHA256), closer(func() error { sr.Close(); return body.Close() })}, nil
	}
	s.env.Log.Info("deploy archive", "url", u.Redacted(), "version", m.Version, "commit", m.Commit)
	return nil
}

func httpGet(ctx context.Context, u string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			return nil, ue.Err // without the URL, which may carry credentials
		}
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("HTTP %s", resp.Status)
	}
	return resp.Body, nil
}

// Room the filesystems need beyond the archive's content: ext4's own
// metadata and journal, and on boot a second kernel and initramfs for the
// next update.
const (
	rootSlack = 512 << 20
	bootSlack = 32 << 20
)

// checkDiskSize refuses a target too small for the layout or the archive.
func checkDiskSize(p *Plan, m *deployarchive.Manifest, kept []layout.Kept) error {
	size, ss, err := targetSize(p)
	if p.ImageMode && errors.Is(err, os.ErrNotExist) {
		size, ss, err = imageSize(p), 512, nil // created by the partition step
	}
	if err != nil {
		return err
	}
	parts, err := layout.LayoutKeep(size, ss, kept)
	if err != nil {
		return fmt.Errorf("%s: %w", p.Device, err)
	}
	root := parts[layout.Root-1]
	need := m.RootBytes + m.RootBytes/10 + rootSlack
	if root.Size < need {
		return fmt.Errorf("disk %s (%d MiB) is too small for %s: the root partition would be %d MiB, the OS needs %d MiB; use a disk of at least %d MiB",
			p.Device, size>>20, m.Version, root.Size>>20, need>>20, (root.Start+need+layout.MiB)>>20)
	}
	if boot := parts[layout.Boot-1]; 2*m.BootBytes+bootSlack > boot.Size {
		return fmt.Errorf("deploy archive %s needs %d MiB on the boot partition (twice its kernel and initramfs, for updates), more than its %d MiB; the image is broken",
			m.Version, (2*m.BootBytes+bootSlack)>>20, boot.Size>>20)
	}
	return nil
}

// targetSize reads the size and sector size of the plan's device or image
// file without holding it.
func targetSize(p *Plan) (int64, int, error) {
	f, err := os.Open(p.Device)
	if err != nil {
		return 0, 0, fmt.Errorf("target %s: %w", p.Device, err)
	}
	defer f.Close()
	return layout.DeviceSize(f)
}
