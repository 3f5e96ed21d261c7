package updatecli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/internal/testkit/gpgtest"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
	"github.com/altcos/altcos-tools/ostree"
	"github.com/altcos/altcos-tools/updates/graph"
)

// TestUpgradeSignedSysroot: a sysroot whose remote altcos verifies
// signatures (gpg-verify=true, gpgkeypath = the OS's keyring, as compose
// writes it) upgrades to a v2 signed with the release key, and refuses a v3
// that is unsigned, signed by another key, or carries a signature of other
// data: a clear error each time, no new deployment, the v3 commit not in
// the sysroot's repository.
func TestUpgradeSignedSysroot(t *testing.T) {
	tooltest.Root(t)
	tooltest.Tools(t, "ostree", "chattr")
	ctx := context.Background()
	key := gpgtest.NewKey(t, "ALTCOS Release")
	other := gpgtest.NewKey(t, "Mallory")
	work := t.TempDir()
	repo := filepath.Join(work, "repo")
	r := &ostree.Repo{Path: repo}
	ostreeRun(t, "init", "--repo="+repo, "--mode=archive")
	sign := func(c string, k gpgtest.Key) {
		t.Helper()
		if err := r.GPGSign(ctx, c, k.ID, k.Homedir); err != nil {
			t.Fatal(err)
		}
	}
	c1 := commit(t, repo, "sisyphus.20261125.1.0")
	sign(c1, key)
	srv := serve(t, repo)

	sysroot, sysrepo := initSysroot(t, work)
	// What compose writes into /etc/ostree/remotes.d/altcos.conf, with the
	// keyring at the test key's path instead of altcos.KeyringPath.
	ostreeRun(t, "remote", "add", sysrepo, "--set=gpg-verify=true", "--set=gpgkeypath="+key.Keyring, "altcos", srv.srv.URL+"/repo", ref)
	ostreeRun(t, "pull", sysrepo, "altcos", ref)
	ostreeRun(t, "admin", "deploy", "--sysroot="+sysroot, "--os="+altcos.OSName, "--karg=root=LABEL=root", altcos.Refspec(altcos.DefaultArch, altcos.DefaultStream))
	common := []string{"--sysroot", sysroot, "--root", filepath.Join(work, "etcroot"), "--graph-url", srv.srv.URL + "/graph"}

	setGraph := func(cs ...string) {
		t.Helper()
		var rels []graph.Release
		for i, c := range cs {
			rels = append(rels, graph.Release{Version: "sisyphus.20261125." + string(rune('1'+i)) + ".0", Checksum: c})
		}
		g, err := graph.Build(rels, nil)
		if err != nil {
			t.Fatal(err)
		}
		srv.setGraph(t, g)
	}

	c2 := commit(t, repo, "sisyphus.20261125.2.0")
	sign(c2, key)
	setGraph(c1, c2)
	if out, err := runCLI(t, append([]string{"upgrade"}, common...)...); err != nil || !strings.Contains(out, "deployed sisyphus.20261125.2.0") {
		t.Fatalf("upgrade to the signed v2 = %q, %v, want v2 deployed", out, err)
	}
	before := status(t, common)
	if len(before.Deployments) != 2 || before.Deployments[0].Checksum != c2 || before.Deployments[1].Checksum != c1 {
		t.Fatalf("deployments after the signed upgrade = %+v, want v2, v1", before.Deployments)
	}

	c3 := commit(t, repo, "sisyphus.20261125.3.0")
	setGraph(c1, c2, c3)
	commitmeta := func(c string) string {
		return filepath.Join(repo, "objects", c[:2], c[2:]+".commitmeta")
	}
	for _, tc := range []struct {
		name, want string
		prepare    func()
	}{
		{"unsigned", "has no signature", func() {}},
		{"signed by another key", "is signed by a key the system does not trust", func() { sign(c3, other) }},
		{"signature of another commit", "has a signature that does not verify", func() {
			b, err := os.ReadFile(commitmeta(c2))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(commitmeta(c3), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		tc.prepare()
		ostreeRun(t, "summary", "-u", "--repo="+repo)
		_, err := runCLI(t, append([]string{"upgrade"}, common...)...)
		if err == nil || !strings.Contains(err.Error(), "pull sisyphus.20261125.3.0: commit "+c3+" "+tc.want) ||
			!strings.Contains(err.Error(), altcos.KeyringPath) || !strings.Contains(err.Error(), "nothing was deployed") {
			t.Errorf("upgrade to a v3 %s = %v, want a refusal saying it %s, naming the keyring and that nothing was deployed", tc.name, err, tc.want)
		}
		t.Logf("v3 %s: %v", tc.name, err)
		after := status(t, common)
		if len(after.Deployments) != 2 || after.Deployments[0].Checksum != c2 || after.Deployments[1].Checksum != c1 {
			t.Errorf("deployments after refusing the v3 %s = %+v, want v2, v1 as before", tc.name, after.Deployments)
		}
		if after.Pending == nil || after.Pending.Checksum != c2 {
			t.Errorf("pending after refusing the v3 %s = %+v, want v2 still", tc.name, after.Pending)
		}
		if _, err := os.Stat(filepath.Join(sysroot, "ostree/repo/objects", c3[:2], c3[2:]+".commit")); err == nil {
			t.Errorf("the sysroot's repository holds the refused v3 commit %s (%s)", c3, tc.name)
		}
	}
	if admin := ostreeRun(t, "admin", "status", "--sysroot="+sysroot); strings.Contains(admin, c3) {
		t.Errorf("ostree admin status lists the refused v3:\n%s", admin)
	}
}
