package installer

// Signed images: a deploy archive fetched from a URL is trusted only when
// its manifest (deploy.json, which pins the archive's sha256 and size) and
// the archive itself carry detached signatures (FILE.sig, binary, as
// `altcos-build sign` writes them) made by a key of the keyring: the
// plan's GPGKeyring, or the release keys on the live medium. The manifest
// is verified before anything is written; the archive streams through gpgv
// while it is unpacked, and a failure there wipes the disk even with
// --preserve-on-error. Only Plan.Insecure skips this.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/deployarchive"
	"github.com/altcos/altcos-tools/internal/gpg"
)

// DefaultKeyrings are where the live system looks for the release keys
// when the plan names none: the OS's keyring, which the live initramfs
// carries from the commit it was built from (initramfs.Build).
var DefaultKeyrings = []string{altcos.KeyringPath}

// Keyring is the keyring downloads are verified with: given (a
// --gpg-keyring), else the first of DefaultKeyrings that exists.
func Keyring(given string) (string, error) {
	if given != "" {
		if _, err := os.Stat(given); err != nil {
			return "", fmt.Errorf("keyring %s: %w; give the release's public keyring (altcos-build sign --keyring writes one)", given, err)
		}
		return given, nil
	}
	for _, k := range DefaultKeyrings {
		if _, err := os.Stat(k); err == nil {
			return k, nil
		}
	}
	return "", fmt.Errorf("no keyring to verify the image's signature with (looked at %v); give --gpg-keyring FILE with the release's public key, or --insecure to install an unsigned image", DefaultKeyrings)
}

// fetchSig downloads the detached signature of the file at u (u.sig).
func fetchSig(ctx context.Context, u *url.URL) ([]byte, error) {
	su := *u
	su.Path += gpg.SigExt
	return fetchSigAt(ctx, u, &su)
}

// fetchSigAt downloads the detached signature su of the file at u.
func fetchSigAt(ctx context.Context, u, su *url.URL) ([]byte, error) {
	body, err := httpGet(ctx, su.String())
	if err != nil {
		return nil, fmt.Errorf("%s has no signature %s (%v); sign the release (altcos-build sign) and publish the .sig files, or pass --insecure to install an unsigned image", u.Redacted(), su.Redacted(), err)
	}
	defer body.Close()
	b, err := io.ReadAll(io.LimitReader(body, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("fetch signature %s: %w", su.Redacted(), err)
	}
	return b, nil
}

// verifyBytes checks data (fetched from u) against its signature sig.
func verifyBytes(ctx context.Context, s *state, ring string, u *url.URL, data, sig []byte) error {
	dir, err := os.MkdirTemp("", "altcos-verify")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	df := filepath.Join(dir, path.Base(u.Path))
	sf := df + gpg.SigExt
	if err := os.WriteFile(df, data, 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(sf, sig, 0o600); err != nil {
		return err
	}
	if err := gpg.Verify(ctx, s.env.Log, ring, sf, df); err != nil {
		return untrusted(u, ring, err)
	}
	return nil
}

// checkRelease decides, before anything is written, how far the image at u
// (manifest b fetched from mu) is trusted, and returns the wrapper its
// archive streams through. --insecure skips the signatures. Otherwise the
// manifest's signature is checked before its sha256 is trusted, and the
// archive's is fetched now and checked while it streams. With
// --image-sha256 (the caller checks the manifest against it) a missing
// signature or keyring is no refusal; a signature that fails still is.
func checkRelease(ctx context.Context, s *state, u, mu *url.URL, b []byte) (func(context.Context, io.Reader) (io.ReadCloser, error), error) {
	nop := func(_ context.Context, r io.Reader) (io.ReadCloser, error) { return io.NopCloser(r), nil }
	pinned := s.plan.ImageSHA256 != ""
	if s.plan.Insecure {
		s.env.Log.Warn("installing an image without checking its signature (--insecure)", "url", u.Redacted())
		return nop, nil
	}
	unsigned := func(err error) (func(context.Context, io.Reader) (io.ReadCloser, error), error) {
		if !pinned {
			return nil, err
		}
		s.env.Progress.Info(fmt.Sprintf("no signature checked (%v); the archive must match --image-sha256", err))
		return nop, nil
	}
	ring, err := Keyring(s.plan.GPGKeyring)
	if err != nil {
		return unsigned(err)
	}
	sig, err := fetchSig(ctx, mu)
	if err != nil {
		return unsigned(err)
	}
	if err := verifyBytes(ctx, s, ring, mu, b, sig); err != nil {
		return nil, err
	}
	signed, err := signedArchive(ctx, s, ring, u)
	if err != nil {
		return unsigned(err)
	}
	s.env.Log.Info("deploy archive manifest signature verified", "keyring", ring)
	return signed, nil
}

// untrusted is the operator's error of a signature check of u that failed:
// a bad signature says so; anything else (gpgv missing, say) is what it is.
func untrusted(u *url.URL, ring string, err error) error {
	if !errors.Is(err, gpg.ErrBadSignature) {
		return fmt.Errorf("check the signature of %s: %w", u.Redacted(), err)
	}
	return fmt.Errorf("%s is not signed by a key of %s; it may have been tampered with, do not install it (or give --gpg-keyring with the signer's key): %w", u.Redacted(), ring, err)
}

// signedArchive prepares the archive's check: it fetches the archive's
// signature now (before anything is written) and returns the wrapper the
// archive stream goes through.
func signedArchive(ctx context.Context, s *state, ring string, u *url.URL) (func(context.Context, io.Reader) (io.ReadCloser, error), error) {
	sig, err := fetchSig(ctx, u)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, r io.Reader) (io.ReadCloser, error) {
		path, rm, err := gpg.WriteTemp(sig)
		if err != nil {
			return nil, err
		}
		v := gpg.NewStreamVerifier(ctx, s.env.Log, ring, path, u.Redacted(), r)
		return struct {
			io.Reader
			io.Closer
		}{readErr{v, func(err error) error { return untrusted(u, ring, err) }}, closer(func() error { v.Close(); rm(); return nil })}, nil
	}, nil
}

type closer func() error

func (c closer) Close() error { return c() }

// readErr rewrites a signature failure into the operator's error.
type readErr struct {
	r    io.Reader
	wrap func(error) error
}

func (r readErr) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && errors.Is(err, gpg.ErrBadSignature) {
		err = r.wrap(err)
	}
	return n, err
}

// untrustedData reports whether err says the installed data failed its
// check (a bad signature, or an archive that is not its manifest's or is
// unsafe: deployarchive.IsBadArchive): then what was written is wiped even
// with PreserveOnError, as nobody should boot it.
func untrustedData(err error) bool {
	return errors.Is(err, gpg.ErrBadSignature) || deployarchive.IsBadArchive(err)
}
