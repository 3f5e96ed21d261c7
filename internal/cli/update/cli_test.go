package updatecli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/internal/stdio"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
	"github.com/altcos/altcos-tools/ostree"
	"github.com/altcos/altcos-tools/updates/graph"
)

var ref = altcos.Ref(altcos.DefaultArch, altcos.DefaultStream)

func ostreeRun(t *testing.T, args ...string) string {
	t.Helper()
	out, err := run.Output(context.Background(), nil, run.Cmd{Argv: append([]string{"ostree"}, args...)})
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// commit makes a small bootable-looking tree (kernel and initramfs where
// ostree looks for them) and commits it on ref with a version.
func commit(t *testing.T, repo, version string) string {
	t.Helper()
	tree := filepath.Join(t.TempDir(), "tree")
	files := map[string]string{
		"usr/lib/modules/6.1.0-test/vmlinuz":       "kernel " + version,
		"usr/lib/modules/6.1.0-test/initramfs.img": "initramfs " + version,
		"usr/lib/os-release":                       "ID=altcos\nVERSION_ID=" + version + "\n",
		"usr/etc/motd":                             "ALTCOS " + version + "\n",
		"usr/share/altcos/version":                 version + "\n",
	}
	for p, c := range files {
		if err := os.MkdirAll(filepath.Join(tree, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tree, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return ostreeRun(t, "commit", "--repo="+repo, "--branch="+ref, "--tree=dir="+tree,
		"--owner-uid=0", "--owner-gid=0", "--add-metadata-string=version="+version, "-s", version)
}

// server serves the archive repo and the stream's update graph, which can be
// swapped during the test.
type server struct {
	mu    sync.Mutex
	graph []byte
	srv   *httptest.Server
	// failFiles makes file objects fail with HTTP 500: a pull that breaks
	// after the commit and its metadata have arrived.
	failFiles bool
}

func (s *server) setFailFiles(v bool) {
	s.mu.Lock()
	s.failFiles = v
	s.mu.Unlock()
}

func (s *server) setGraph(t *testing.T, g *graph.Graph) {
	t.Helper()
	b, err := g.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.graph = b
	s.mu.Unlock()
}

func serve(t *testing.T, repo string) *server {
	s := &server{}
	mux := http.NewServeMux()
	files := http.StripPrefix("/repo/", http.FileServer(http.Dir(repo)))
	mux.HandleFunc("/repo/", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		fail := s.failFiles && strings.HasSuffix(r.URL.Path, ".filez")
		s.mu.Unlock()
		if fail {
			http.Error(w, "disk on fire", http.StatusInternalServerError)
			return
		}
		files.ServeHTTP(w, r)
	})
	mux.HandleFunc("/graph/v1/graph", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("stream") != "sisyphus" || r.URL.Query().Get("basearch") != "x86_64" {
			http.Error(w, "unknown stream", http.StatusNotFound)
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		w.Write(s.graph)
	})
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := Run(context.Background(), args, stdio.Stdio{In: strings.NewReader(""), Out: &out, Err: &errb})
	t.Logf("altcos-update %s\n%s%s", strings.Join(args, " "), out.String(), errb.String())
	return out.String(), err
}

func status(t *testing.T, common []string) statusJSON {
	t.Helper()
	out, err := runCLI(t, append([]string{"status", "--json"}, common...)...)
	if err != nil {
		t.Fatal(err)
	}
	var st statusJSON
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status --json: %v", err)
	}
	return st
}

// TestUpgradeRollbackSysroot: a sysroot in a directory deployed from v1, a
// repo with v2 and its graph over loopback HTTP; `upgrade` deploys v2,
// `status` shows it pending with v1 as rollback, `rollback` swaps them.
// The sysroot is not booted, so the deployment is written directly: ostree
// 2022.7 refuses --stage off a booted system.
func TestUpgradeRollbackSysroot(t *testing.T) {
	tooltest.Root(t)
	tooltest.Tools(t, "ostree", "chattr")
	work := t.TempDir()
	repo := filepath.Join(work, "repo")
	ostreeRun(t, "init", "--repo="+repo, "--mode=archive")
	c1 := commit(t, repo, "sisyphus.20261125.1.0")
	srv := serve(t, repo)

	sysroot, sysrepo := initSysroot(t, work)
	ostreeRun(t, "remote", "add", sysrepo, "--no-gpg-verify", "altcos", srv.srv.URL+"/repo", ref)
	ostreeRun(t, "pull", sysrepo, "altcos", ref)
	ostreeRun(t, "admin", "deploy", "--sysroot="+sysroot, "--os="+altcos.OSName, "--karg=root=LABEL=root", altcos.Refspec(altcos.DefaultArch, altcos.DefaultStream))

	c2 := commit(t, repo, "sisyphus.20261125.2.0")
	hist, err := (&ostree.Repo{Path: repo}).RefHistory(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	g, err := graph.Build([]graph.Release{{Version: hist[1].Version, Checksum: hist[1].Checksum}, {Version: hist[0].Version, Checksum: hist[0].Checksum}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.setGraph(t, g)
	common := []string{"--sysroot", sysroot, "--root", filepath.Join(work, "etcroot"), "--graph-url", srv.srv.URL + "/graph"}

	st := status(t, common)
	if len(st.Deployments) != 1 || st.Deployments[0].Checksum != c1 || st.Pending != nil || st.Booted != nil {
		t.Fatalf("status before upgrade = %+v, want v1 only", st)
	}
	if out, err := runCLI(t, append([]string{"check"}, common...)...); err != nil || !strings.Contains(out, "update available: sisyphus.20261125.2.0") {
		t.Fatalf("check = %q, %v, want v2 available", out, err)
	}

	// A graph that offers a payload the remote does not have: a clear error, nothing changes.
	bogus := strings.Repeat("9", 64)
	gBad, _ := graph.Build([]graph.Release{{Version: "sisyphus.20261125.1.0", Checksum: c1}, {Version: "sisyphus.20261125.9.0", Checksum: bogus}}, nil)
	srv.setGraph(t, gBad)
	upgradeFails(t, common, c1, "a payload not in the remote", "pull sisyphus.20261125.9.0: the remote has no commit")
	srv.setGraph(t, g)

	// A pull that fails halfway (file objects answer 500): a clear error,
	// nothing deployed; the next attempt completes.
	srv.setFailFiles(true)
	upgradeFails(t, common, c1, "a failing pull", "pull sisyphus.20261125.2.0")
	srv.setFailFiles(false)

	out, err := runCLI(t, append([]string{"upgrade"}, common...)...)
	if err != nil || !strings.Contains(out, "deployed sisyphus.20261125.2.0") {
		t.Fatalf("upgrade = %q, %v, want v2 deployed", out, err)
	}
	st = status(t, common)
	if st.Pending == nil || st.Pending.Checksum != c2 || st.Rollback == nil || st.Rollback.Checksum != c1 || st.Pending.Refspec != "altcos:"+ref {
		t.Fatalf("status after upgrade: pending %+v, rollback %+v; want v2 pending, v1 rollback", st.Pending, st.Rollback)
	}
	// The real ostree agrees, and the boot entries follow.
	admin := ostreeRun(t, "admin", "status", "--sysroot="+sysroot)
	if strings.Index(admin, c2) > strings.Index(admin, c1) {
		t.Errorf("ostree admin status lists v1 before v2:\n%s", admin)
	}
	entries, _ := filepath.Glob(filepath.Join(sysroot, "boot/loader/entries/*.conf"))
	if len(entries) != 2 {
		t.Errorf("boot entries = %v, want 2", entries)
	}

	out, err = runCLI(t, append([]string{"rollback"}, common...)...)
	if err != nil || !strings.Contains(out, "rolled back: sisyphus.20261125.1.0 is the default") {
		t.Fatalf("rollback = %q, %v", out, err)
	}
	st = status(t, common)
	if len(st.Deployments) != 2 || st.Deployments[0].Checksum != c1 || st.Deployments[1].Checksum != c2 || st.Pending.Checksum != c1 || st.Rollback.Checksum != c2 {
		t.Fatalf("status after rollback = %+v, want v1 default (pending), v2 rollback", st.Deployments)
	}
	if _, ok := st.Denied[c2]; !ok {
		t.Errorf("after rollback v2 is not denied: %v", st.Denied)
	}
	// No update loop: v2 is not offered again.
	if out, err := runCLI(t, append([]string{"upgrade"}, common...)...); err != nil || !strings.Contains(out, "no update") {
		t.Errorf("upgrade after rollback = %q, %v, want no update", out, err)
	}
	// deploy VERSION lifts the deny and deploys it (flags after the version work too).
	if out, err := runCLI(t, append([]string{"deploy", "sisyphus.20261125.2.0"}, common...)...); err != nil || !strings.Contains(out, "deployed sisyphus.20261125.2.0") {
		t.Fatalf("deploy v2 = %q, %v", out, err)
	}
	if st := status(t, common); st.Deployments[0].Checksum != c2 || len(st.Denied) != 0 {
		t.Fatalf("after deploy v2: %+v, denied %v; want v2 default and no deny", st.Deployments, st.Denied)
	}
	if _, err := runCLI(t, append([]string{"deploy", "sisyphus.19990101.0.0"}, common...)...); err == nil || !strings.Contains(err.Error(), "not in the update graph") {
		t.Errorf("deploy of an unknown version = %v, want an error", err)
	}
	// Rolling back swaps them again.
	if _, err := runCLI(t, append([]string{"rollback"}, common...)...); err != nil {
		t.Fatal(err)
	}
	if st := status(t, common); st.Deployments[0].Checksum != c1 || st.Deployments[1].Checksum != c2 {
		t.Errorf("second rollback = %+v, want v1 then v2", st.Deployments)
	}
	// The text status names the roles.
	out, _ = runCLI(t, append([]string{"status"}, common...)...)
	if !strings.Contains(out, "pending,default") || !strings.Contains(out, "rollback") {
		t.Errorf("status text lacks the roles:\n%s", out)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{"frobnicate"}, {"status", "--bogus"}, {"deploy"}, {"rollback", "extra"}} {
		_, err := runCLI(t, args...)
		var ue *stdio.UsageError
		if err == nil || !errors.As(err, &ue) {
			t.Errorf("Run(%v) = %v, want a usage error", args, err)
		}
	}
}

// unimmutable clears the immutable flag ostree sets on deployment roots, so
// that the test's temporary directory can be removed.
func unimmutable(t *testing.T, sysroot string) {
	dirs, _ := filepath.Glob(filepath.Join(sysroot, "ostree/deploy/*/deploy/*"))
	for _, d := range dirs {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			if err := run.Run(context.Background(), nil, run.Cmd{Argv: []string{"chattr", "-i", d}}); err != nil {
				t.Log(err)
			}
		}
	}
}

// upgradeFails runs upgrade and wants an error containing want, with the
// sysroot left as it was: c1 its only deployment.
func upgradeFails(t *testing.T, common []string, c1, what, want string) {
	t.Helper()
	_, err := runCLI(t, append([]string{"upgrade"}, common...)...)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("upgrade with %s = %v, want an error containing %q", what, err, want)
	}
	t.Logf("%s: %v", what, err)
	if st := status(t, common); len(st.Deployments) != 1 || st.Deployments[0].Checksum != c1 {
		t.Errorf("deployments after the failed upgrade (%s) = %+v, want v1 only", what, st.Deployments)
	}
}
