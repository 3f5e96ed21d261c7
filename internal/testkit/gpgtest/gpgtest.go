// Package gpgtest makes GnuPG signing keys for tier-1 tests: a fresh key
// without a passphrase in a temporary GnuPG home, never committed.
package gpgtest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/internal/gpg"
	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
)

// Key is a test signing key.
type Key struct {
	Homedir string // GnuPG home holding the secret key
	ID      string // fingerprint
	Keyring string // binary keyring file with the public key
}

// Signer signs with k.
func (k Key) Signer() gpg.Signer { return gpg.Signer{Key: k.ID, Homedir: k.Homedir} }

// NewKey generates an ed25519 signing key named name in a new GnuPG home
// under a short temporary directory (gpg-agent's socket path is bounded),
// and kills its gpg-agent at the end of the test.
func NewKey(t testing.TB, name string) Key {
	t.Helper()
	tooltest.Tools(t, "gpg", "gpgv", "gpgconf")
	dir, err := os.MkdirTemp("", "gpgtest")
	if err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, "gnupg")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		run.Run(context.Background(), nil, run.Cmd{Argv: []string{"gpgconf", "--homedir", home, "--kill", "gpg-agent"}})
		os.RemoveAll(dir)
	})
	ctx := context.Background()
	gen := []string{"gpg", "--batch", "--no-tty", "--homedir", home, "--passphrase", "",
		"--quick-generate-key", name + " <" + strings.ReplaceAll(strings.ToLower(name), " ", "-") + "@altcos.invalid>", "ed25519", "sign", "never"}
	if err := run.Run(ctx, nil, run.Cmd{Argv: gen}); err != nil {
		t.Fatalf("generate test key: %v", err)
	}
	out, err := run.Output(ctx, nil, run.Cmd{Argv: []string{"gpg", "--batch", "--homedir", home, "--with-colons", "--list-secret-keys"}})
	if err != nil {
		t.Fatal(err)
	}
	k := Key{Homedir: home, Keyring: filepath.Join(dir, "keyring.gpg")}
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Split(l, ":"); len(f) > 9 && f[0] == "fpr" {
			k.ID = f[9]
			break
		}
	}
	if k.ID == "" {
		t.Fatalf("no fingerprint in gpg --list-secret-keys:\n%s", out)
	}
	if err := k.Signer().WriteKeyring(ctx, k.Keyring); err != nil {
		t.Fatal(err)
	}
	return k
}
