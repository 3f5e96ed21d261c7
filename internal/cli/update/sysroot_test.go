package updatecli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/internal/stdio"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
	"github.com/altcos/altcos-tools/ostree"
	"github.com/altcos/altcos-tools/updates/agent"
	"github.com/altcos/altcos-tools/updates/config"
	"github.com/altcos/altcos-tools/updates/graph"
	"github.com/altcos/altcos-tools/updates/strategy"
)

// streams serves an archive repo and one update graph per stream, and
// counts the bytes of the repository's answers.
type streams struct {
	mu     sync.Mutex
	graphs map[string][]byte
	bytes  int64
	paths  []string // of the repository's requests, in order
	srv    *httptest.Server
}

func serveStreams(t *testing.T, repo string) *streams {
	s := &streams{graphs: map[string][]byte{}}
	mux := http.NewServeMux()
	files := http.StripPrefix("/repo/", http.FileServer(http.Dir(repo)))
	mux.HandleFunc("/repo/", func(w http.ResponseWriter, r *http.Request) {
		cw := &countingWriter{ResponseWriter: w}
		files.ServeHTTP(cw, r)
		s.mu.Lock()
		s.bytes += cw.n
		s.paths = append(s.paths, r.URL.Path)
		s.mu.Unlock()
	})
	mux.HandleFunc("/graph/v1/graph", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		b, ok := s.graphs[r.URL.Query().Get("stream")]
		if !ok || r.URL.Query().Get("basearch") != "x86_64" {
			http.Error(w, "unknown stream", http.StatusNotFound)
			return
		}
		w.Write(b)
	})
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

type countingWriter struct {
	http.ResponseWriter
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.ResponseWriter.Write(b)
	c.n += int64(n)
	return n, err
}

// setGraph publishes the graph of stream: its releases in order, as
// commit checksums and versions.
func (s *streams) setGraph(t *testing.T, stream string, rs ...graph.Release) {
	t.Helper()
	g, err := graph.Build(rs, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := g.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.graphs[stream] = b
	s.mu.Unlock()
}

func (s *streams) transferred() int64 { s.mu.Lock(); defer s.mu.Unlock(); return s.bytes }

// commitOn commits a small bootable-looking tree on stream's ref; extra
// files are added to the tree.
func commitOn(t *testing.T, repo, stream, version string, extra map[string]string) graph.Release {
	t.Helper()
	tree := filepath.Join(t.TempDir(), "tree")
	files := map[string]string{
		"usr/lib/modules/6.1.0-test/vmlinuz":       "kernel",
		"usr/lib/modules/6.1.0-test/initramfs.img": "initramfs",
		"usr/lib/os-release":                       "ID=altcos\nVERSION_ID=" + version + "\n",
		"usr/share/altcos/version":                 version + "\n",
		"usr/etc/motd":                             "ALTCOS\n",
	}
	for p, c := range extra {
		files[p] = c
	}
	for p, c := range files {
		os.MkdirAll(filepath.Join(tree, filepath.Dir(p)), 0o755)
		if err := os.WriteFile(filepath.Join(tree, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sum := ostreeRun(t, "commit", "--repo="+repo, "--branch="+altcos.Ref(altcos.DefaultArch, stream), "--tree=dir="+tree,
		"--owner-uid=0", "--owner-gid=0", "--add-metadata-string=version="+version, "-s", version)
	return graph.Release{Version: version, Checksum: sum}
}

// initSysroot makes an empty sysroot for altcos in work/sysroot, without a
// bootloader; sysrepo is the --repo flag of its repository.
func initSysroot(t *testing.T, work string) (sysroot, sysrepo string) {
	t.Helper()
	sysroot = filepath.Join(work, "sysroot")
	os.MkdirAll(sysroot, 0o755)
	t.Cleanup(func() { unimmutable(t, sysroot) })
	ostreeRun(t, "admin", "init-fs", "--modern", sysroot)
	ostreeRun(t, "admin", "os-init", "--sysroot="+sysroot, altcos.OSName)
	sysrepo = "--repo=" + filepath.Join(sysroot, "ostree/repo")
	ostreeRun(t, "config", sysrepo, "set", "sysroot.bootloader", "none")
	return sysroot, sysrepo
}

// newSysroot makes a sysroot in a directory, deployed from stream's head
// on the served repo with kargs; it returns the common flags.
func newSysroot(t *testing.T, work, url, stream string, kargs ...string) (string, []string) {
	t.Helper()
	sysroot, sysrepo := initSysroot(t, work)
	ostreeRun(t, "remote", "add", sysrepo, "--no-gpg-verify", "altcos", url+"/repo")
	ref := altcos.Ref(altcos.DefaultArch, stream)
	ostreeRun(t, "pull", sysrepo, "altcos", ref)
	args := []string{"admin", "deploy", "--sysroot=" + sysroot, "--os=" + altcos.OSName}
	for _, k := range kargs {
		args = append(args, "--karg="+k)
	}
	ostreeRun(t, append(args, altcos.Refspec(altcos.DefaultArch, stream))...)
	return sysroot, []string{"--sysroot", sysroot, "--root", filepath.Join(work, "etcroot"), "--graph-url", url + "/graph"}
}

func archiveRepo(t *testing.T, work string) string {
	t.Helper()
	repo := filepath.Join(work, "repo")
	ostreeRun(t, "init", "--repo="+repo, "--mode=archive")
	return repo
}

// sysrootFixture is what most sysroot tests start from: an archive repo
// holding s1 (sisyphus.20261125.1.0), the server of its graphs, and a
// sysroot deployed from s1; common are the flags that point the CLI at them.
type sysrootFixture struct {
	work, repo, sysroot string
	srv                 *streams
	s1                  graph.Release
	common              []string
}

func newSysrootFixture(t *testing.T, kargs ...string) *sysrootFixture {
	t.Helper()
	tier1(t)
	f := &sysrootFixture{work: t.TempDir()}
	f.repo = archiveRepo(t, f.work)
	f.s1 = commitOn(t, f.repo, "sisyphus", "sisyphus.20261125.1.0", nil)
	f.srv = serveStreams(t, f.repo)
	f.sysroot, f.common = newSysroot(t, f.work, f.srv.srv.URL, "sisyphus", kargs...)
	return f
}

// commitS2 commits the next sisyphus release, which adds /usr/share/s2.
func (f *sysrootFixture) commitS2(t *testing.T) graph.Release {
	t.Helper()
	return commitOn(t, f.repo, "sisyphus", "sisyphus.20261126.1.0", map[string]string{"usr/share/s2": "s2"})
}

func tier1(t *testing.T) {
	t.Helper()
	tooltest.Root(t)
	tooltest.Tools(t, "ostree", "chattr")
}

// noReboot is the real ostree system whose reboots are only counted.
type noReboot struct {
	*agent.OSTreeSystem
	reboots int
}

func (s *noReboot) Reboot(ctx context.Context) error { s.reboots++; return nil }

// TestRebaseSysroot: two streams in one repo. `rebase p10` moves the
// origin to altcos:altcos/x86_64/p10 and deploys p10's head; then check and
// the agent follow p10's graph (the newer sisyphus release is never
// offered), and upgrades keep the p10 origin.
func TestRebaseSysroot(t *testing.T) {
	f := newSysrootFixture(t, "root=LABEL=root")
	work, repo, srv, sysroot, common, s1 := f.work, f.repo, f.srv, f.sysroot, f.common, f.s1
	p1 := commitOn(t, repo, "p10", "p10.20261125.1.0", nil)
	s2 := f.commitS2(t)
	srv.setGraph(t, "sisyphus", s1, s2)
	srv.setGraph(t, "p10", p1)

	if out, err := runCLI(t, append([]string{"rebase", "p/10"}, common...)...); err == nil {
		t.Errorf("rebase p/10 = %q, nil; want a bad stream name refused", out)
	}
	if _, err := runCLI(t, append([]string{"rebase", "p11"}, common...)...); err == nil || !strings.Contains(err.Error(), "stream p11") {
		t.Errorf("rebase to a stream the remote lacks = %v, want an error naming it", err)
	}
	out, err := runCLI(t, append([]string{"rebase", "p10"}, common...)...)
	if err != nil || !strings.Contains(out, "deployed p10.20261125.1.0") {
		t.Fatalf("rebase p10 = %q, %v", out, err)
	}
	p10 := altcos.Refspec(altcos.DefaultArch, "p10")
	st := status(t, common)
	if st.Deployments[0].Checksum != p1.Checksum || st.Deployments[0].Refspec != p10 || st.Deployments[1].Checksum != s1.Checksum {
		t.Fatalf("after rebase: %+v, want p1 following %s, then s1", st.Deployments, p10)
	}
	if admin := ostreeRun(t, "admin", "status", "--sysroot="+sysroot); !strings.Contains(admin, "origin refspec: "+p10) {
		t.Errorf("ostree admin status does not show the p10 origin:\n%s", admin)
	}
	if out, err := runCLI(t, append([]string{"check"}, common...)...); err != nil || !strings.Contains(out, "no update offered for p10.20261125.1.0") {
		t.Errorf("check after rebase = %q, %v; want p10 followed, sisyphus's %s not offered", out, err, s2.Version)
	}

	// A new p10 release: check offers it, the agent deploys it on p10.
	p2 := commitOn(t, repo, "p10", "p10.20261126.1.0", map[string]string{"usr/share/p2": "p2"})
	srv.setGraph(t, "p10", p1, p2)
	if out, err := runCLI(t, append([]string{"check"}, common...)...); err != nil || !strings.Contains(out, "update available: p10.20261126.1.0") {
		t.Errorf("check = %q, %v, want p2", out, err)
	}
	e := &env{sysroot: sysroot, osname: altcos.OSName, root: filepath.Join(work, "etcroot"), log: nil}
	e.log = slogDiscard()
	sys := &noReboot{OSTreeSystem: e.system()}
	cfg := config.Defaults()
	cfg.Cincinnati.BaseURL = srv.srv.URL + "/graph"
	imm, _ := strategy.New(strategy.Params{Name: strategy.NameImmediate}, strategy.Deps{})
	a := &agent.Agent{Config: &cfg, System: sys, Strategy: imm, StatePath: e.state()}
	if err := a.Step(context.Background()); !errors.Is(err, agent.ErrRebooting) || sys.reboots != 1 {
		t.Fatalf("agent Step() = %v, reboots %d; want a reboot into p2", err, sys.reboots)
	}
	st = status(t, common)
	if st.Deployments[0].Checksum != p2.Checksum || st.Deployments[0].Refspec != p10 {
		t.Fatalf("after the agent's update: %+v, want p2 following %s", st.Deployments[0], p10)
	}
	// Never back across: sisyphus has a newer release, and nothing offers it.
	s3 := commitOn(t, repo, "sisyphus", "sisyphus.20261201.1.0", map[string]string{"usr/share/s3": "s3"})
	srv.setGraph(t, "sisyphus", s1, s2, s3)
	if out, err := runCLI(t, append([]string{"upgrade"}, common...)...); err != nil || !strings.Contains(out, "no update offered for p10.20261126.1.0") {
		t.Errorf("upgrade on p10 = %q, %v; want nothing (sisyphus is not followed)", out, err)
	}
	if _, err := runCLI(t, append([]string{"rebase", "p10"}, common...)...); err == nil || !strings.Contains(err.Error(), "already follows") {
		t.Errorf("rebase to the followed stream = %v, want an error", err)
	}
}

// TestKargsSysroot: kargs --append/--delete/--replace write a new
// deployment of the same commit and origin whose boot entry has the
// changed arguments; the previous deployment's entry keeps its own.
func TestKargsSysroot(t *testing.T) {
	f := newSysrootFixture(t, "root=LABEL=root", "quiet", "loglevel=3", "console=tty0")
	sysroot, common, s1 := f.sysroot, f.common, f.s1
	sr := &ostree.Sysroot{Path: sysroot}
	kargsOf := func(i int) []string {
		t.Helper()
		ds, err := sr.ListDeployments(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		k, err := sr.DeploymentKargs(ds[i])
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	before := kargsOf(0)
	if want := []string{"root=LABEL=root", "quiet", "loglevel=3", "console=tty0"}; !reflect.DeepEqual(before, want) {
		t.Fatalf("kargs before = %q, want %q", before, want)
	}
	if out, err := runCLI(t, append([]string{"kargs"}, common...)...); err != nil || strings.TrimSpace(out) != strings.Join(before, " ") {
		t.Errorf("kargs (print) = %q, %v", out, err)
	}
	out, err := runCLI(t, append([]string{"kargs", "--append", "console=ttyS0,115200", "--delete", "quiet", "--replace", "loglevel=7"}, common...)...)
	if err != nil || !strings.Contains(out, "kernel arguments of sisyphus.20261125.1.0 changed") {
		t.Fatalf("kargs edit = %q, %v", out, err)
	}
	if got, want := kargsOf(0), []string{"root=LABEL=root", "loglevel=7", "console=tty0", "console=ttyS0,115200"}; !reflect.DeepEqual(got, want) {
		t.Errorf("new deployment's kargs = %q, want %q", got, want)
	}
	if got := kargsOf(1); !reflect.DeepEqual(got, before) {
		t.Errorf("previous deployment's kargs = %q, want them unchanged %q", got, before)
	}
	st := status(t, common)
	if len(st.Deployments) != 2 || st.Deployments[0].Checksum != s1.Checksum || st.Deployments[0].Refspec != altcos.Refspec(altcos.DefaultArch, "sisyphus") {
		t.Errorf("deployments after kargs = %+v, want the same commit and origin twice", st.Deployments)
	}
	// KEY=OLD=NEW replaces one value of a key that has several.
	if _, err := runCLI(t, append([]string{"kargs", "--replace", "console=tty0=tty1"}, common...)...); err != nil {
		t.Fatal(err)
	}
	if got, want := kargsOf(0), []string{"root=LABEL=root", "loglevel=7", "console=ttyS0,115200", "console=tty1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("after --replace console=tty0=tty1: kargs = %q, want %q", got, want)
	}
	if _, err := runCLI(t, append([]string{"kargs", "--replace", "loglevel"}, common...)...); err == nil {
		t.Error("kargs --replace loglevel = nil error, want a usage error")
	}
}

// TestDeployChecksumCleanupStatusBooted: deploy --checksum deploys a commit
// of the remote that no graph names; status --booted shows one deployment;
// cleanup -r and -p drop the rollback and the pending deployment, and
// refuse to drop both of the last two.
func TestDeployChecksumCleanupStatusBooted(t *testing.T) {
	f := newSysrootFixture(t, "root=LABEL=root")
	srv, common, s1 := f.srv, f.common, f.s1
	s2 := f.commitS2(t)
	srv.setGraph(t, "sisyphus", s1)

	if _, err := runCLI(t, append([]string{"deploy", "--checksum", "abc"}, common...)...); stdio.ExitCode(err) != 2 {
		t.Errorf("deploy --checksum abc = %v, want a usage error", err)
	}
	if _, err := runCLI(t, append([]string{"deploy", "--checksum", s2.Checksum, "sisyphus.20261125.1.0"}, common...)...); stdio.ExitCode(err) != 2 {
		t.Errorf("deploy with both --checksum and VERSION = %v, want a usage error", err)
	}
	out, err := runCLI(t, append([]string{"deploy", "--checksum", s2.Checksum}, common...)...)
	if err != nil || !strings.Contains(out, "deployed sisyphus.20261126.1.0") {
		t.Fatalf("deploy --checksum = %q, %v", out, err)
	}
	out, err = runCLI(t, append([]string{"status", "--json", "--booted"}, common...)...)
	var one statusJSON
	if err != nil || jsonUnmarshal(out, &one) != nil || len(one.Deployments) != 1 || one.Deployments[0].Checksum != s2.Checksum || one.Rollback != nil || one.Pending != nil {
		t.Errorf("status --json --booted = %q, %v; want s2 alone", out, err)
	}
	if out, _ := runCLI(t, append([]string{"status", "--booted"}, common...)...); strings.Count(out, "commit ") != 1 {
		t.Errorf("status --booted lists %d deployments, want 1:\n%s", strings.Count(out, "commit "), out)
	}
	if _, err := runCLI(t, append([]string{"cleanup", "-p", "-r"}, common...)...); err == nil || !strings.Contains(err.Error(), "every deployment") {
		t.Errorf("cleanup -p -r of the last two = %v, want a refusal", err)
	}
	if _, err := runCLI(t, append([]string{"cleanup"}, common...)...); stdio.ExitCode(err) != 2 {
		t.Errorf("cleanup without flags = %v, want a usage error", err)
	}
	if out, err := runCLI(t, append([]string{"cleanup", "-r"}, common...)...); err != nil || !strings.Contains(out, "removed rollback sisyphus.20261125.1.0") {
		t.Fatalf("cleanup -r = %q, %v", out, err)
	}
	if st := status(t, common); len(st.Deployments) != 1 || st.Deployments[0].Checksum != s2.Checksum {
		t.Fatalf("after cleanup -r: %+v, want s2 alone", st.Deployments)
	}
	if _, err := runCLI(t, append([]string{"deploy", "--checksum", s1.Checksum}, common...)...); err != nil {
		t.Fatal(err)
	}
	if out, err := runCLI(t, append([]string{"cleanup", "--pending", "-b"}, common...)...); err != nil || !strings.Contains(out, "removed pending sisyphus.20261125.1.0") {
		t.Fatalf("cleanup --pending -b = %q, %v", out, err)
	}
	if st := status(t, common); len(st.Deployments) != 1 || st.Deployments[0].Checksum != s2.Checksum {
		t.Errorf("after cleanup -p: %+v, want s2 alone", st.Deployments)
	}
}

// TestCheckUnchangedExit77: with --unchanged-exit-77, check and upgrade
// exit with status 77 when nothing is offered (rpm-ostree's convention);
// without it, 0.
func TestCheckUnchangedExit77(t *testing.T) {
	f := newSysrootFixture(t, "root=LABEL=root")
	srv, common, s1 := f.srv, f.common, f.s1
	srv.setGraph(t, "sisyphus", s1)
	for _, cmd := range []string{"check", "upgrade"} {
		_, err := runCLI(t, append([]string{cmd, "--unchanged-exit-77"}, common...)...)
		var stderr bytes.Buffer
		if code := stdio.Report(&stderr, "altcos-update", err); code != 77 || !strings.Contains(stderr.String(), "no update offered") {
			t.Errorf("%s --unchanged-exit-77 exits %d (%q), want 77", cmd, code, stderr.String())
		}
		if _, err := runCLI(t, append([]string{cmd}, common...)...); stdio.ExitCode(err) != 0 {
			t.Errorf("%s without the flag = %v, want exit 0", cmd, err)
		}
	}
	s2 := f.commitS2(t)
	srv.setGraph(t, "sisyphus", s1, s2)
	if _, err := runCLI(t, append([]string{"check", "--unchanged-exit-77"}, common...)...); err != nil {
		t.Errorf("check --unchanged-exit-77 with an update = %v, want exit 0", err)
	}
}

// TestUpgradeRollbackReboot: --reboot reboots through the Options seam once
// the new default is written; without the seam, a sysroot that is not the
// running system is never rebooted.
func TestUpgradeRollbackReboot(t *testing.T) {
	f := newSysrootFixture(t, "root=LABEL=root")
	srv, common, s1 := f.srv, f.common, f.s1
	s2 := f.commitS2(t)
	srv.setGraph(t, "sisyphus", s1, s2)
	reboots := 0
	o := Options{Reboot: func(ctx context.Context) error {
		if st := status(t, common); st.Deployments[0].Checksum != s2.Checksum {
			t.Errorf("rebooted before s2 was the default: %+v", st.Deployments)
		}
		reboots++
		return nil
	}}
	run := func(args ...string) (string, error) {
		var out, errb bytes.Buffer
		err := RunWith(context.Background(), append(args, common...), stdio.Stdio{In: strings.NewReader(""), Out: &out, Err: &errb}, o)
		t.Logf("altcos-update %s\n%s%s", strings.Join(args, " "), out.String(), errb.String())
		return out.String(), err
	}
	if out, err := run("upgrade", "--reboot"); err != nil || reboots != 1 || !strings.Contains(out, "rebooting") {
		t.Fatalf("upgrade --reboot = %q, %v, reboots %d; want one reboot", out, err, reboots)
	}
	o.Reboot = func(ctx context.Context) error { reboots++; return nil }
	if _, err := run("rollback", "--reboot"); err != nil || reboots != 2 {
		t.Errorf("rollback --reboot = %v, reboots %d; want a second reboot", err, reboots)
	}
	if _, err := run("rollback"); err != nil || reboots != 2 {
		t.Errorf("rollback = %v, reboots %d; want no reboot without --reboot", err, reboots)
	}
	if _, err := runCLI(t, append([]string{"rollback", "--reboot"}, common...)...); err == nil || !strings.Contains(err.Error(), "not the running system") {
		t.Errorf("rollback --reboot on a directory sysroot without the seam = %v, want a refusal", err)
	}
}

// TestHelpListsCommands: the usage lists every command with one line.
func TestHelpListsCommands(t *testing.T) {
	out, err := runCLI(t, "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range commands(Options{}) {
		if n := strings.Count(out, "\n  "+c.Name+" "); n != 1 {
			t.Errorf("--help lists %s %d times, want once:\n%s", c.Name, n, out)
		}
	}
}

// TestUpdateNowCLI: update-now leaves the request where the agent looks.
func TestUpdateNowCLI(t *testing.T) {
	state := filepath.Join(t.TempDir(), "var/lib/altcos-updated/state.json")
	if out, err := runCLI(t, "update-now", "--state", state); err != nil || !strings.Contains(out, "update now") {
		t.Fatalf("update-now = %q, %v", out, err)
	}
	if _, err := os.Stat(agent.UpdateNowPath(state)); err != nil {
		t.Errorf("no request file: %v", err)
	}
}

func slogDiscard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
