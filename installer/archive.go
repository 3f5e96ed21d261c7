package installer

// Step "open deploy archive": find the archive and its manifest (the live
// medium's, a local file, or https), check them, and refuse a disk too small
// for them, all before anything is written.

import (
	"cmp"
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
	"github.com/altcos/altcos-tools/image/stream"
	layout "github.com/altcos/altcos-tools/installer/partition"
)

// hostArch is the architecture the installer accepts archives for; a
// variable so tests can pretend to be another machine.
var hostArch = deployarchive.HostArch

func openArchive(ctx context.Context, s *state) error {
	p := s.plan
	local := "" // the local archive's path, when it is one
	switch {
	case p.ImageURL != "":
		if err := openURLArchive(ctx, s, p.ImageURL); err != nil {
			return err
		}
	case p.StreamBaseURL != "":
		if err := openStreamArchive(ctx, s); err != nil {
			return err
		}
	default:
		local = cmp.Or(p.ImageFile, deployarchive.LiveArchive)
		if err := openFileArchive(s, local); err != nil {
			return err
		}
	}
	if err := s.manifest.CheckArch(hostArch()); err != nil {
		return err
	}
	if p.Stream != "" && p.Stream != s.manifest.Stream {
		return fmt.Errorf("deploy archive is stream %s (%s), not %s; choose the %s image or drop --stream", s.manifest.Stream, s.manifest.Version, p.Stream, p.Stream)
	}
	if err := checkDiskSize(p, s.manifest, s.kept); err != nil {
		return err
	}
	if p.DryRun && local != "" {
		return checkWholeArchive(ctx, s, local)
	}
	return nil
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
	if pin := s.plan.ImageSHA256; pin != "" && pin != m.Archive.SHA256 {
		return fmt.Errorf("deploy archive %s: %w: its manifest says %s, --image-sha256 says %s; it is another image than the one you meant", file, deployarchive.ErrChecksum, m.Archive.SHA256, pin)
	}
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

// checkWholeArchive reads the local archive through its verifier: a dry run
// writes nothing, so it takes the time a real install saves by checking the
// sha256 while it deploys, and a damaged copy is reported now rather than
// by an install that wipes what it wrote.
func checkWholeArchive(ctx context.Context, s *state, file string) error {
	s.env.Progress.Info("dry run: checking the sha256 of " + file)
	r, err := s.archive(ctx)
	if err != nil {
		return fmt.Errorf("deploy archive: %w", err)
	}
	defer r.Close()
	if _, err := io.CopyBuffer(io.Discard, r, make([]byte, 1<<20)); err != nil {
		return fmt.Errorf("deploy archive %s: %w; copy it again", file, err)
	}
	s.env.Progress.Info("dry run: deploy archive sha256 " + s.manifest.Archive.SHA256 + " matches its manifest")
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
	signed, err := checkRelease(ctx, s, u, &mu, b)
	if err != nil {
		return err
	}
	m, err := deployarchive.ParseManifest(b)
	if err != nil {
		return fmt.Errorf("manifest %s: %w", mu.Redacted(), err)
	}
	if pin := s.plan.ImageSHA256; pin != "" && m.Archive.SHA256 != pin {
		return fmt.Errorf("deploy archive %s: %w: its manifest says sha256 %s, --image-sha256 says %s; nothing was written (check the hash, or the server serves another image)", u.Redacted(), deployarchive.ErrChecksum, m.Archive.SHA256, pin)
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

// openStreamArchive finds the newest release of the plan's stream in its
// stream metadata (BASE/<stream>.json): the metal tar.zst of this machine's
// architecture, installed as an image URL is (its signatures checked).
func openStreamArchive(ctx context.Context, s *state) error {
	p := s.plan
	su, err := stream.URL(p.StreamBaseURL, p.Stream)
	if err != nil {
		return err
	}
	body, err := httpGet(ctx, su)
	if err != nil {
		return fmt.Errorf("fetch stream metadata %s: %w; check --stream and --stream-base-url (altcos-build serve publishes /streams/<stream>.json)", redact(su), err)
	}
	meta, err := stream.Decode(body)
	body.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", redact(su), err)
	}
	files, release, err := meta.Format(hostArch(), "metal", "tar.zst")
	if err != nil {
		return err
	}
	a, ok := files["disk"]
	if !ok {
		return fmt.Errorf("stream %s: its metal tar.zst has no disk file (the deploy archive)", p.Stream)
	}
	s.env.Progress.Info(fmt.Sprintf("installing %s, the newest release of stream %s, from the network: %s", release, p.Stream, redact(a.Location)))
	if err := openURLArchive(ctx, s, a.Location); err != nil {
		return err
	}
	if s.manifest.Archive.SHA256 != a.SHA256 {
		return fmt.Errorf("stream %s says the deploy archive's sha256 is %s, its manifest %s: the release is inconsistent; nothing was written", p.Stream, a.SHA256, s.manifest.Archive.SHA256)
	}
	return nil
}

// redact is a URL without its credentials.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	return u.Redacted()
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
