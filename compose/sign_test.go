package compose

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/internal/testkit/gpgtest"
	"github.com/altcos/altcos-tools/ostree"
)

func TestRemoteConf(t *testing.T) {
	if got, want := remoteConf("http://h/repo", false), "[remote \"altcos\"]\nurl=http://h/repo\ngpg-verify=false\n"; got != want {
		t.Errorf("remoteConf(unsigned) = %q, want %q", got, want)
	}
	if got, want := remoteConf("http://h/repo", true), "[remote \"altcos\"]\nurl=http://h/repo\ngpg-verify=true\ngpgkeypath="+altcos.KeyringPath+"\n"; got != want {
		t.Errorf("remoteConf(signed) = %q, want %q", got, want)
	}
}

// TestComposeSigned: with a key the commit carries its signature, the tree
// its public keyring and a verifying remote; a key that is not in the home
// directory fails before anything is committed.
func TestComposeSigned(t *testing.T) {
	ctx := composeEnv(t)
	k := gpgtest.NewKey(t, "ALTCOS Compose")
	repo := filepath.Join(t.TempDir(), "repo")
	res, err := compose(t, ctx, repo, defaultFake(), "20261125", func(o *Options) { o.GPGKey, o.GPGHomedir = k.ID, k.Homedir })
	if err != nil || !res.Created {
		t.Fatalf("Run(signed) = %+v, %v", res, err)
	}
	r := &ostree.Repo{Path: repo}
	show := ostreeShow(t, repo, res.Commit)
	if !strings.Contains(show, "Found 1 signature") || !strings.Contains(show, k.ID[len(k.ID)-16:]) {
		t.Errorf("ostree show %s = %s, want one signature by %s", res.Commit, show, k.ID)
	}
	var conf, keyring bytes.Buffer
	if err := r.Cat(ctx, res.Commit, "/usr/etc/ostree/remotes.d/altcos.conf", &conf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(conf.String(), "gpg-verify=true\ngpgkeypath="+altcos.KeyringPath) {
		t.Errorf("remote config = %q, want gpg-verify=true and gpgkeypath", conf.String())
	}
	if err := r.Cat(ctx, res.Commit, altcos.KeyringPath, &keyring); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(k.Keyring)
	if !bytes.Equal(keyring.Bytes(), want) {
		t.Errorf("%s in the commit is not the signing key's public keyring", altcos.KeyringPath)
	}

	other := gpgtest.NewKey(t, "Other")
	_, err = compose(t, ctx, repo, defaultFake(), "20261126", func(o *Options) { o.GPGKey, o.GPGHomedir, o.Force = other.ID, k.Homedir, true })
	if err == nil || !strings.Contains(err.Error(), "check the signing key") || !strings.Contains(err.Error(), "no secret key") {
		t.Errorf("Run(key not in the home) = %v, want a refusal at the key check", err)
	}
	if head, _, _ := r.Resolve(ctx, res.Ref); head != res.Commit {
		t.Errorf("head after the refused compose = %s, want %s", head, res.Commit)
	}
}

func ostreeShow(t *testing.T, repo, rev string) string {
	t.Helper()
	out, err := run.Output(context.Background(), nil, run.Cmd{Argv: ostree.RepoArgs(repo, "show", rev)})
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestComposeSignFails: when `ostree gpg-sign` fails after the commit, the
// compose fails and the unsigned commit is not left on the ref.
func TestComposeSignFails(t *testing.T) {
	ctx := composeEnv(t)
	k := gpgtest.NewKey(t, "ALTCOS Compose")
	real, err := exec.LookPath("ostree")
	if err != nil {
		t.Fatal(err)
	}
	wrapper := filepath.Join(t.TempDir(), "ostree")
	writeFile(t, wrapper, "#!/bin/sh\n[ \"$1\" = gpg-sign ] && { echo 'gpg: signing failed: No pinentry' >&2; exit 1; }\nexec "+real+" \"$@\"\n", 0o755)
	t.Setenv("ALTCOS_TOOL_OSTREE", wrapper)
	repo := filepath.Join(t.TempDir(), "repo")
	_, err = compose(t, ctx, repo, defaultFake(), "20261125", func(o *Options) { o.GPGKey, o.GPGHomedir = k.ID, k.Homedir })
	if err == nil || !strings.Contains(err.Error(), "sign commit") || !strings.Contains(err.Error(), "No pinentry") {
		t.Fatalf("Run with a failing gpg-sign = %v, want the signing error", err)
	}
	ref := altcos.Ref(altcos.DefaultArch, "sisyphus")
	if head, ok, err := (&ostree.Repo{Path: repo}).Resolve(ctx, ref); err != nil || ok {
		t.Errorf("ref %s after the failed signing = %s, %v, %v; want no ref", ref, head, ok, err)
	}
}
