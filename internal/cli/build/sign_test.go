package buildcli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/internal/gpg"
	"github.com/altcos/altcos-tools/internal/stdio"
	"github.com/altcos/altcos-tools/internal/testkit/gpgtest"
)

// TestSign: `altcos-build sign` writes FILE.sig that gpgv accepts with the
// exported keyring, and refuses a missing key before signing anything.
func TestSign(t *testing.T) {
	t.Setenv(envGPGKey, "")
	t.Setenv(envGPGHomedir, "")
	k := gpgtest.NewKey(t, "ALTCOS Release")
	dir := t.TempDir()
	files := []string{filepath.Join(dir, "deploy.json"), filepath.Join(dir, "sisyphus.json")}
	for _, f := range files {
		os.WriteFile(f, []byte(filepath.Base(f)), 0o644)
	}
	ring := filepath.Join(dir, "altcos.gpg")
	var out, errb bytes.Buffer
	args := append([]string{"sign", "--gpg-sign", k.ID, "--gpg-homedir", k.Homedir, "--keyring", ring}, files...)
	if err := Run(context.Background(), args, stdio.Stdio{Out: &out, Err: &errb}); err != nil {
		t.Fatalf("sign: %v\n%s", err, errb.String())
	}
	for _, f := range files {
		if err := gpg.Verify(context.Background(), nil, ring, f+".sig", f); err != nil {
			t.Errorf("gpgv %s.sig: %v", f, err)
		}
	}
	var ue *stdio.UsageError
	if err := Run(context.Background(), []string{"sign", files[0]}, stdio.Stdio{Out: &out, Err: &errb}); !errors.As(err, &ue) {
		t.Errorf("sign without a key = %v, want a usage error", err)
	}
	t.Setenv(envGPGKey, "0000000000000000DEADBEEF")
	t.Setenv(envGPGHomedir, k.Homedir)
	os.Remove(files[0] + ".sig")
	if err := Run(context.Background(), []string{"sign", files[0]}, stdio.Stdio{Out: &out, Err: &errb}); err == nil || !strings.Contains(err.Error(), "no secret key") {
		t.Errorf("sign with an unknown key = %v, want no secret key", err)
	}
	if _, err := os.Stat(files[0] + ".sig"); err == nil {
		t.Errorf("a signature was written with an unknown key")
	}
}
