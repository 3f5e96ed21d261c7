package gpg_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/internal/gpg"
	"github.com/altcos/altcos-tools/internal/testkit/gpgtest"
)

func TestArgs(t *testing.T) {
	for _, c := range []struct {
		got, want []string
	}{
		{gpg.SignArgs("/h", "ABCD", "f", "f.sig"), []string{"gpg", "--batch", "--no-tty", "--homedir", "/h", "--yes", "--local-user", "ABCD", "--detach-sign", "--output", "f.sig", "f"}},
		{gpg.SignArgs("", "ABCD", "f", "f.sig"), []string{"gpg", "--batch", "--no-tty", "--yes", "--local-user", "ABCD", "--detach-sign", "--output", "f.sig", "f"}},
		{gpg.ExportArgs("/h", "ABCD"), []string{"gpg", "--batch", "--no-tty", "--homedir", "/h", "--export", "ABCD"}},
		{gpg.VerifyArgs("/k.gpg", "f.sig", "-"), []string{"gpgv", "--keyring", "/k.gpg", "f.sig", "-"}},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("argv = %q, want %q", c.got, c.want)
		}
	}
}

// TestSignVerify: a file signed with one key verifies against that key's
// keyring only, and not once changed.
func TestSignVerify(t *testing.T) {
	k := gpgtest.NewKey(t, "ALTCOS Test")
	other := gpgtest.NewKey(t, "Someone Else")
	ctx := context.Background()
	f := filepath.Join(t.TempDir(), "deploy.json")
	os.WriteFile(f, []byte(`{"version":"1"}`), 0o644)
	if err := k.Signer().Check(ctx); err != nil {
		t.Fatal(err)
	}
	if err := (gpg.Signer{Key: other.ID, Homedir: k.Homedir}).Check(ctx); err == nil || !strings.Contains(err.Error(), "no secret key") {
		t.Errorf("Check(key of another home) = %v, want no secret key", err)
	}
	sig, err := k.Signer().SignFile(ctx, f)
	if err != nil || sig != f+".sig" {
		t.Fatalf("SignFile = %q, %v", sig, err)
	}
	if err := gpg.Verify(ctx, nil, k.Keyring, sig, f); err != nil {
		t.Errorf("Verify(good) = %v", err)
	}
	err = gpg.Verify(ctx, nil, other.Keyring, sig, f)
	if !errors.Is(err, gpg.ErrBadSignature) || !strings.Contains(err.Error(), "not in the keyring") {
		t.Errorf("Verify(other keyring) = %v, want ErrBadSignature, not in the keyring", err)
	}
	os.WriteFile(f, []byte(`{"version":"2"}`), 0o644)
	err = gpg.Verify(ctx, nil, k.Keyring, sig, f)
	if !errors.Is(err, gpg.ErrBadSignature) || !strings.Contains(err.Error(), "changed") {
		t.Errorf("Verify(changed file) = %v, want ErrBadSignature, changed", err)
	}
	if err := gpg.Verify(ctx, nil, k.Keyring, f+".nosig", f); !errors.Is(err, gpg.ErrBadSignature) {
		t.Errorf("Verify(no signature) = %v, want ErrBadSignature", err)
	}
}

// TestStreamVerifier: a stream read through gpgv ends in io.EOF when it
// matches its signature, and in ErrBadSignature when one byte differs.
func TestStreamVerifier(t *testing.T) {
	k := gpgtest.NewKey(t, "ALTCOS Stream")
	ctx := context.Background()
	f := filepath.Join(t.TempDir(), "deploy.tar.zst")
	data := make([]byte, 3<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	os.WriteFile(f, data, 0o644)
	sig, err := k.Signer().SignFile(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	read := func(b []byte) error {
		r := gpg.NewStreamVerifier(ctx, nil, k.Keyring, sig, "deploy.tar.zst", bytes.NewReader(b))
		defer r.Close()
		_, err := io.Copy(io.Discard, r)
		return err
	}
	if err := read(data); err != nil {
		t.Errorf("good stream: %v", err)
	}
	bad := append([]byte(nil), data...)
	bad[len(bad)-1] ^= 1
	if err := read(bad); !errors.Is(err, gpg.ErrBadSignature) {
		t.Errorf("changed stream: %v, want ErrBadSignature", err)
	}
	// Closed early: no hang, no verdict needed.
	r := gpg.NewStreamVerifier(ctx, nil, k.Keyring, sig, "x", bytes.NewReader(data))
	io.CopyN(io.Discard, r, 1000)
	r.Close()
}
