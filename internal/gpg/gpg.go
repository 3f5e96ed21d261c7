// Package gpg wraps GnuPG for the release chain: detached signatures of
// artifacts (gpg --detach-sign), verification against a given keyring
// (gpgv), and the export of public keys for the OS tree. Every call builds
// its argv with a pure function and runs it through internal/run.
//
// Signatures are binary (not ASCII-armored) detached OpenPGP signatures
// written to <file>.sig, as Fedora CoreOS publishes them. Keyrings are
// binary OpenPGP keyrings (`gpg --export KEY > FILE`), the format gpgv and
// ostree's gpgkeypath both read.
//
// Secrets: a passphrase never goes on a command line or into this package.
// Keys without a passphrase (tests) sign directly; real keys rely on
// gpg-agent, which asks through its own pinentry or a preset passphrase.
package gpg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/altcos/altcos-tools/internal/fsutil"
	"github.com/altcos/altcos-tools/internal/run"
)

// Tools (run.Path resolves them; ALTCOS_TOOL_GPG and ALTCOS_TOOL_GPGV override).
const (
	Tool       = "gpg"
	VerifyTool = "gpgv"
)

// SigExt is the extension of a detached signature: FILE.sig.
const SigExt = ".sig"

// ErrBadSignature is wrapped by Verify when the signature does not verify:
// missing, made by a key not in the keyring, or over other data.
var ErrBadSignature = errors.New("signature does not verify")

// Signer signs with one secret key of a GnuPG home directory.
type Signer struct {
	// Key is the signing key: a fingerprint (best), key ID or user ID.
	Key string
	// Homedir is the GnuPG home; "" means gpg's default (GNUPGHOME, ~/.gnupg).
	Homedir string
	Log     *slog.Logger
}

func base(homedir string) []string {
	argv := []string{Tool, "--batch", "--no-tty"}
	if homedir != "" {
		argv = append(argv, "--homedir", homedir)
	}
	return argv
}

// SignArgs builds the argv that writes a binary detached signature of file
// to sig with key.
func SignArgs(homedir, key, file, sig string) []string {
	return append(base(homedir), "--yes", "--local-user", key, "--detach-sign", "--output", sig, file)
}

// ListSecretArgs builds the argv that lists the secret key key.
func ListSecretArgs(homedir, key string) []string {
	return append(base(homedir), "--with-colons", "--list-secret-keys", key)
}

// ExportArgs builds the argv that writes the public keys to stdout in the
// binary keyring format.
func ExportArgs(homedir string, keys ...string) []string {
	return append(append(base(homedir), "--export"), keys...)
}

// VerifyArgs builds the argv that checks the detached signature sig of data
// against keyring only (gpgv trusts every key of the keyring it is given and
// nothing else). data "-" reads standard input.
func VerifyArgs(keyring, sig, data string) []string {
	return []string{VerifyTool, "--keyring", keyring, sig, data}
}

func (s Signer) where() string {
	if s.Homedir == "" {
		return "the default GnuPG home"
	}
	return "GnuPG home " + s.Homedir
}

// Check fails unless the signing key's secret part is in the home directory:
// callers run it before the first thing they sign.
func (s Signer) Check(ctx context.Context) error {
	if s.Key == "" {
		return errors.New("no signing key given; pass a key ID or fingerprint (gpg --list-secret-keys shows them)")
	}
	out, err := run.Output(ctx, s.Log, run.Cmd{Argv: ListSecretArgs(s.Homedir, s.Key)})
	if err != nil || !bytes.Contains(out, []byte("\nsec:")) && !bytes.HasPrefix(out, []byte("sec:")) {
		return fmt.Errorf("signing key %s: no secret key in %s; import it there (gpg --import) or give --gpg-homedir: %v", s.Key, s.where(), err)
	}
	return nil
}

// SignFile writes file's detached signature to file.sig (through a
// temporary name: a failed run leaves no half signature) and returns its path.
func (s Signer) SignFile(ctx context.Context, file string) (string, error) {
	if _, err := os.Stat(file); err != nil {
		return "", fmt.Errorf("sign %s: %w", file, err)
	}
	sig := file + SigExt
	tmp := filepath.Join(filepath.Dir(sig), "."+filepath.Base(sig)+".tmp")
	defer os.Remove(tmp)
	if err := run.Run(ctx, s.Log, run.Cmd{Argv: SignArgs(s.Homedir, s.Key, file, tmp)}); err != nil {
		return "", fmt.Errorf("sign %s with key %s from %s: %w", file, s.Key, s.where(), err)
	}
	if err := os.Rename(tmp, sig); err != nil {
		return "", err
	}
	return sig, nil
}

// ExportPublic returns the public keys of the signer (its Key) as a binary
// keyring, for the OS tree and the live medium.
func (s Signer) ExportPublic(ctx context.Context) ([]byte, error) {
	out, err := run.Output(ctx, s.Log, run.Cmd{Argv: ExportArgs(s.Homedir, s.Key)})
	if err != nil {
		return nil, fmt.Errorf("export public key %s from %s: %w", s.Key, s.where(), err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("export public key %s from %s: no such key; check the key ID with gpg --list-keys", s.Key, s.where())
	}
	return out, nil
}

// WriteKeyring writes the signer's public keys to path as a binary keyring.
func (s Signer) WriteKeyring(ctx context.Context, path string) error {
	b, err := s.ExportPublic(ctx)
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(path, b, 0o644)
}

// Verify checks the detached signature sig of the file data against the
// keys of keyring (a binary keyring file) and nothing else. A signature
// that does not verify gives an error wrapping ErrBadSignature that names
// the file and the keyring.
func Verify(ctx context.Context, log *slog.Logger, keyring, sig, data string) error {
	if keyring == "" {
		return fmt.Errorf("verify %s: no keyring given", data)
	}
	abs, err := filepath.Abs(keyring)
	if err != nil {
		return err
	}
	if _, err := os.Stat(abs); err != nil {
		return fmt.Errorf("verify %s: keyring: %w", data, err)
	}
	if _, err := os.Stat(sig); err != nil {
		return fmt.Errorf("verify %s: signature %w: %w", data, err, ErrBadSignature)
	}
	err = run.Run(ctx, log, run.Cmd{Argv: VerifyArgs(abs, sig, data)})
	var re *run.Error
	if errors.As(err, &re) && re.ExitCode > 0 {
		return fmt.Errorf("verify %s: %w (%s): %s", data, ErrBadSignature, Reason(re.Stderr), strings.TrimSpace(re.Stderr))
	}
	return err
}

// Reason says in a few words why gpgv refused a signature, from its stderr.
func Reason(stderr string) string {
	switch {
	case strings.Contains(stderr, "BAD signature"):
		return "the data was changed after it was signed"
	case strings.Contains(stderr, "No public key"), strings.Contains(stderr, "public key not found"):
		return "signed by a key that is not in the keyring"
	case strings.Contains(stderr, "no signature found"), strings.Contains(stderr, "no valid OpenPGP data"):
		return "the signature file holds no signature"
	}
	return "not a good signature"
}
