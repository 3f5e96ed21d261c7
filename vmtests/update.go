package vmtests

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/ostree"
	"github.com/altcos/altcos-tools/updates/graph"
	"github.com/altcos/altcos-tools/vmtests/qemu"
)

// The update scenario (issue 6): an installed VM upgrades from v1 to v2
// served by the host, reboots into v2 with v1 as the rollback entry of the
// boot menu, and `altcos-update rollback` boots v1 again.

// updateListen is where the update scenario serves the repository and the
// update graph: the OS's remote altcos (the image build's default URL) and the
// agent's default [cincinnati] base_url are http://10.0.2.2:8080, which QEMU's
// user network maps to the host's 127.0.0.1:8080.
const updateListen = "127.0.0.1:8080"

// v2Marker is the file the scenario's v2 adds to v1's tree (besides its
// version in /usr/lib/os-release); its presence tells which of the two
// commits is booted.
const v2Marker = "/usr/share/altcos-vmtest/v2"

// updateBootTimeout bounds each boot of the update scenario (TCG: 40-80 s
// on the shared CI machine, more while other machines run).
var updateBootTimeout = 8 * time.Minute

// release is one release of the scenario's stream.
type release struct {
	Version string
	Commit  string
}

// makeV2 prepares the scenario's repository in dir: a fresh archive repo
// holding v1 (the commit want names, pulled from src without its history,
// whose older commits may repeat versions) and v2 on the same ref: v1's tree
// plus v2Marker, with v1's metadata and the version's minor number bumped.
// It updates the summary and writes the stream's graph (as `altcos-build
// graph` does) to dir/graph. It returns v2 and the repo and graph folders.
func makeV2(ctx context.Context, env *Env, src string, v1 deployed) (v2 release, repoDir, graphDir string, err error) {
	repoDir = filepath.Join(env.Out, "repo")
	graphDir = filepath.Join(env.Out, "graph")
	if err := os.RemoveAll(repoDir); err != nil {
		return v2, "", "", err
	}
	srcRepo := &ostree.Repo{Path: src, Log: env.Log}
	if _, err := srcRepo.RevParse(ctx, v1.Commit); err != nil {
		return v2, "", "", skipf("the repository %s does not hold the installed commit %s (%s): give the repo the QCOW2 was built from (ALTCOS_VMTEST_REPO)", src, short(v1.Commit), v1.Version)
	}
	repo := &ostree.Repo{Path: repoDir, Log: env.Log}
	if err := repo.Init(ctx, "archive"); err != nil {
		return v2, "", "", err
	}
	// A local pull hardlinks the objects: seconds, not a copy of the OS.
	if err := run.Run(ctx, env.Log, run.Cmd{Argv: ostree.RepoArgs(repoDir, "pull-local", src, v1.Commit)}); err != nil {
		return v2, "", "", fmt.Errorf("copy %s from %s: %w", short(v1.Commit), src, err)
	}
	if err := repo.SetRef(ctx, v1.Ref, v1.Commit); err != nil {
		return v2, "", "", err
	}
	ver, err := altcos.ParseVersion(v1.Version)
	if err != nil {
		return v2, "", "", fmt.Errorf("installed version: %w", err)
	}
	ver.Minor++
	v2.Version = ver.String()

	layer := filepath.Join(env.Out, "v2-layer")
	_ = os.RemoveAll(layer)
	marker := filepath.Join(layer, v2Marker)
	if err := os.MkdirAll(filepath.Dir(marker), 0o755); err != nil {
		return v2, "", "", err
	}
	if err := os.WriteFile(marker, []byte(v2.Version+"\n"), 0o644); err != nil {
		return v2, "", "", err
	}
	// os-release names the version, as a compose of v2 would: the boot
	// menu titles come from it.
	var osRelease strings.Builder
	if err := repo.Cat(ctx, v1.Commit, "/usr/lib/os-release", &osRelease); err != nil {
		return v2, "", "", err
	}
	osr := filepath.Join(layer, "usr/lib/os-release")
	if err := os.MkdirAll(filepath.Dir(osr), 0o755); err != nil {
		return v2, "", "", err
	}
	if err := os.WriteFile(osr, []byte(strings.ReplaceAll(osRelease.String(), v1.Version, v2.Version)), 0o644); err != nil {
		return v2, "", "", err
	}
	args := []string{"--branch=" + v1.Ref, "--parent=" + v1.Commit, "--bootable", "--subject=" + v2.Version}
	for _, k := range []string{altcos.MetaStream, altcos.MetaManifest, altcos.MetaIgnitionSpec, altcos.MetaKernel, altcos.MetaOSFiles} {
		v, err := repo.Metadata(ctx, v1.Commit, k)
		if errors.Is(err, ostree.ErrNoMetadata) {
			continue
		}
		if err != nil {
			return v2, "", "", err
		}
		args = append(args, "--add-metadata-string="+k+"="+v)
	}
	args = append(args, "--add-metadata-string="+altcos.MetaVersion+"="+v2.Version, "--tree=ref="+v1.Commit, "--tree=dir="+layer)
	out, err := run.Output(ctx, env.Log, run.Cmd{Argv: ostree.RepoArgs(repoDir, "commit", args...)})
	if err != nil {
		return v2, "", "", fmt.Errorf("commit v2: %w", err)
	}
	v2.Commit = strings.TrimSpace(string(out))
	if !ostree.IsChecksum(v2.Commit) {
		return v2, "", "", fmt.Errorf("ostree commit printed %q, want a checksum", v2.Commit)
	}
	if err := repo.SummaryUpdate(ctx); err != nil {
		return v2, "", "", err
	}
	arch, stream := refParts(v1.Ref)
	if _, _, err := graph.WriteFromRepo(ctx, repoDir, arch, stream, graphDir, nil); err != nil {
		return v2, "", "", err
	}
	return v2, repoDir, graphDir, nil
}

// refParts splits altcos/<arch>/<stream>.
func refParts(ref string) (arch, stream string) {
	p := strings.Split(ref, "/")
	if len(p) != 3 {
		return altcos.DefaultArch, ref
	}
	return p[1], p[2]
}

// serveUpdates serves repo at /repo/ and the graphs in graphDir at /v1/graph
// on updateListen, as `altcos-build serve` does.
func serveUpdates(repo, graphDir string) (stop func(), err error) {
	ln, err := net.Listen("tcp", updateListen)
	if err != nil {
		return nil, fmt.Errorf("serve the updates on %s (the guest's 10.0.2.2:8080): %w; is another `altcos-build serve` or update test running?", updateListen, err)
	}
	srv := &http.Server{Handler: graph.Handler(repo, graphDir), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return func() { _ = srv.Close() }, nil
}

// updateRollback is the update-rollback scenario: boot a copy-on-write
// overlay of the QCOW2 (v1, the manifest's commit) with the vmtest Ignition
// config; check the agent runs and survives the absent graph server; serve
// v2 (makeV2 on a copy of the artifacts' repository, ALTCOS_VMTEST_REPO)
// with its graph; `altcos-update upgrade` stages it; reboot into v2 with v1
// the rollback deployment and the second entry of /boot/loader/grub.cfg;
// `altcos-update rollback`; reboot into v1, where v2 is no longer offered.
// It takes the host's port 8080, which is free because scenarios run one
// after another.
func updateRollback(ctx context.Context, env *Env) error {
	srcRepo := env.Art.Repo
	if env.Art.QCOW2 == "" {
		return missingf("no QCOW2 image: give --qcow2 or ALTCOS_VMTEST_QCOW2 (make qcow2 builds one)")
	}
	if srcRepo == "" {
		return missingf("no ostree repository: give --repo or ALTCOS_VMTEST_REPO, the repo the QCOW2 was built from (make compose: out/repo)")
	}
	v1, err := env.expected(ctx)
	if err != nil {
		return err
	}
	t0 := time.Now()
	v2, repoDir, graphDir, err := makeV2(ctx, env, srcRepo, v1)
	if err != nil {
		return err
	}
	env.step("update: v1 %s (%s), v2 %s (%s) in %s, graph in %s, made in %s", v1.Version, short(v1.Commit), v2.Version, short(v2.Commit), repoDir, graphDir, timeSince(t0))

	ign, err := env.rootIgnition()
	if err != nil {
		return err
	}
	c, err := env.qcow2Machine(ctx, "update", ign)
	if err != nil {
		return err
	}
	m, err := qemu.Start(ctx, env.Log, c)
	if err != nil {
		return err
	}
	defer m.Close()
	if err := waitForConsole(ctx, m); err != nil {
		return err
	}
	root := account{User: "root", Password: rootPassword}
	tb := time.Now()
	sh, err := login(ctx, m, root.User, root.Password, updateBootTimeout)
	if err != nil {
		return err
	}
	env.step("update: v1 booted, logged in after %s", timeSince(tb))
	ck := &checks{m: m, sh: sh}

	// v1 booted; the agent shipped in the OS runs and keeps running without
	// a graph server (it logs the failed check and retries).
	if ok, err := ck.expect(ctx, "v1 is booted", "ostree admin status", commandTimeout, "", "* "+altcos.OSName+" "+v1.Commit+".0", "Version: "+v1.Version); err != nil || !ok {
		return firstErr(err, ck.err())
	}
	if ok, err := ck.expect(ctx, "the OS ships the agent", "test -x /usr/bin/altcos-update && echo present || echo missing", commandTimeout, "present"); err != nil || !ok {
		return firstErr(err, ck.err())
	}
	// The agent's first check runs right after boot; wait for its result.
	agentLog := "for i in $(seq 60); do journalctl -b -u altcos-updated.service -o cat | grep -q 'retrying later' && break; sleep 2; done; systemctl is-active altcos-updated.service; journalctl -b -u altcos-updated.service -o cat | grep -m1 -o 'update attempt failed; the booted system is unchanged; retrying later'"
	if ok, err := ck.expect(ctx, "altcos-updated runs and retries without a graph server", agentLog, commandTimeout, "active\nupdate attempt failed; the booted system is unchanged; retrying later"); err != nil {
		return err
	} else if ok {
		env.step("update: ok: altcos-updated.service is active and retries while 10.0.2.2:8080 is absent")
	}
	// From here the operator drives the update; the agent would race it.
	if _, _, err := ck.run(ctx, "stop the agent", "systemctl stop altcos-updated.service", commandTimeout); err != nil {
		return err
	}

	stop, err := serveUpdates(repoDir, graphDir)
	if err != nil {
		return err
	}
	defer stop()
	env.step("update: serving %s and its graph on %s", repoDir, updateListen)
	if ok, err := ck.expect(ctx, "altcos-update check offers v2", "altcos-update check", commandTimeout, "", "update available: "+v2.Version); err != nil || !ok {
		return firstErr(err, ck.err())
	}
	tu := time.Now()
	if ok, err := ck.expect(ctx, "altcos-update upgrade stages v2", "altcos-update upgrade", 10*time.Minute, "", "staged "+v2.Version); err != nil || !ok {
		return firstErr(err, ck.err())
	}
	env.step("update: altcos-update upgrade staged %s in %s", v2.Version, timeSince(tu))
	if ok, err := ck.expect(ctx, "altcos-update status: v1 booted, v2 pending", "altcos-update status", commandTimeout, "",
		"booted", "staged", v2.Version, "commit "+v2.Commit+".", "commit "+v1.Commit+"."); err != nil || !ok {
		return firstErr(err, ck.err())
	}

	// Reboot into v2: ostree-finalize-staged writes the deployment and the menu at shutdown.
	env.step("update: rebooting into v2")
	if err := rebootLogin(ctx, env, ck, root, "second"); err != nil {
		return err
	}
	if ok, err := ck.expect(ctx, "v2 is booted", "ostree admin status; echo marker=$(cat "+v2Marker+")", commandTimeout, "", "* "+altcos.OSName+" "+v2.Commit+".0", "Version: "+v2.Version, "(rollback)", "marker="+v2.Version); err != nil || !ok {
		return firstErr(err, ck.err())
	}
	env.step("update: ok: v2 is booted, v1 is the rollback deployment")
	if ok, err := ck.expect(ctx, "altcos-update status: v2 booted, v1 rollback", "altcos-update status --json | tr -d ' \\n'", commandTimeout, "",
		`"booted":{"index":0,"osname":"`+altcos.OSName+`","checksum":"`+v2.Commit+`"`,
		`"pending":null`,
		`"rollback":{"index":1,"osname":"`+altcos.OSName+`","checksum":"`+v1.Commit+`"`); err != nil {
		return err
	} else if ok {
		env.step("update: ok: altcos-update status shows v2 booted and v1 as rollback")
	}
	// The boot menu: the first entry boots v2, the second (the rollback) v1.
	menu := `grep '^menuentry' /boot/loader/grub.cfg; for p in $(grep -o 'ostree=[^ ]*' /boot/loader/grub.cfg | cut -d= -f2); do echo "entry -> $(basename $(readlink -f $p))"; done`
	want := fmt.Sprintf("entry -> %s.0\nentry -> %s.", v2.Commit, v1.Commit)
	if ok, err := ck.expect(ctx, "boot menu: v2 first, v1 the rollback entry", menu, commandTimeout, "", want, v2.Version+" (ostree:0)'", v1.Version+" (ostree:1)'"); err != nil {
		return err
	} else if ok {
		env.step("update: ok: /boot/loader/grub.cfg: entry 1 boots v2, entry 2 (rollback) boots v1")
	}

	// Roll back and boot v1 again.
	if ok, err := ck.expect(ctx, "altcos-update rollback", "systemctl stop altcos-updated.service; altcos-update rollback", 10*time.Minute, "", "rolled back: "+v1.Version+" is the default"); err != nil || !ok {
		return firstErr(err, ck.err())
	}
	env.step("update: rolled back; rebooting into v1")
	if err := rebootLogin(ctx, env, ck, root, "third"); err != nil {
		return err
	}
	if ok, err := ck.expect(ctx, "v1 is booted again", "ostree admin status; test -e "+v2Marker+" && echo v2-marker || echo no-v2-marker", commandTimeout, "",
		"* "+altcos.OSName+" "+v1.Commit+".", "Version: "+v1.Version, "no-v2-marker"); err != nil {
		return err
	} else if ok {
		env.step("update: ok: v1 booted again after the rollback")
	}
	// No update loop: v2, left by the operator, is not offered again.
	if ok, err := ck.expect(ctx, "v2 not offered after the rollback", "altcos-update check", commandTimeout, "", "no update offered for "+v1.Version); err != nil {
		return err
	} else if ok {
		env.step("update: ok: altcos-update check offers nothing after the rollback")
	}
	if err := ck.err(); err != nil {
		return err
	}
	_ = m.SendLine("poweroff")
	_ = m.Wait(ctx, 2*time.Minute)
	return nil
}

func firstErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

// rebootLogin reboots the machine of ck and logs in again as root when it
// is back: the update scenario's second and third boots.
func rebootLogin(ctx context.Context, env *Env, ck *checks, root account, which string) error {
	if err := ck.m.SendLine("systemctl reboot"); err != nil {
		return err
	}
	t0 := time.Now()
	sh, err := login(ctx, ck.m, root.User, root.Password, updateBootTimeout)
	if err != nil {
		return err
	}
	ck.sh = sh
	env.step("update: %s boot, logged in after %s", which, timeSince(t0))
	return nil
}
