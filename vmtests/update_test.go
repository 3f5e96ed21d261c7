package vmtests

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/internal/testkit/gpgtest"
	"github.com/altcos/altcos-tools/internal/testkit/testcommit"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
	"github.com/altcos/altcos-tools/ostree"
	"github.com/altcos/altcos-tools/updates/config"
	"github.com/altcos/altcos-tools/updates/fleetlock"
	"github.com/altcos/altcos-tools/updates/graph"
	"github.com/altcos/altcos-tools/updates/strategy"
)

// TestUpdateRepo builds the update-rollback scenario's releases from a small
// real commit (tier 1: ostree, gpg): each is its parent's child on v1's ref
// with the minor version bumped, the parent's metadata, the release marker,
// os-release and its own files; the graph offers them in order; and a client
// that verifies signatures with the key's keyring, as the installed OS does,
// pulls the signed ones and refuses the unsigned one.
//
// The scenario itself is TestScenarios/update-rollback (make vmtest runs it
// last). Alone, after make compose sysroot qcow2:
//
//	ALTCOS_VMTEST=1 ALTCOS_VMTEST_ARTIFACTS=out go test -v -run 'TestScenarios/update-rollback' ./vmtests/
//
// ALTCOS_VMTEST_REPO names the repository of v1's commit when it is not
// out/repo, ALTCOS_VMTEST_GPG_KEY and ALTCOS_VMTEST_GPG_HOMEDIR the key that
// signed it when it is not out/test-gpg's; the scenario takes the host's
// ports 8080 and 3333.
func TestUpdateRepo(t *testing.T) {
	tooltest.Slow(t)
	tooltest.Tools(t, testcommit.Tools...)
	key := gpgtest.NewKey(t, "vmtests updates")
	ctx := t.Context()
	src, v1commit, err := testcommit.Make(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{Out: t.TempDir()}
	v1d := deployed{Commit: v1commit, Version: testcommit.Version, Ref: testcommit.Ref}
	u, err := newUpdateRepo(ctx, env, src, v1d, key.ID, key.Homedir)
	if err != nil {
		t.Fatal(err)
	}
	v1 := release{Version: v1d.Version, Commit: v1d.Commit}
	v2, err := u.add(ctx, v1, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	v3, err := u.add(ctx, v2, map[string]string{brokenDropIn: updateBrokenDropIn}, false)
	if err != nil {
		t.Fatal(err)
	}
	v4, err := u.add(ctx, v3, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	repo := &ostree.Repo{Path: u.Dir}
	rels := []release{v1, v2, v3, v4}
	for i, r := range rels[1:] {
		parent := rels[i]
		want, _ := altcos.ParseVersion(parent.Version)
		want.Minor++
		if r.Version != want.String() || !ostree.IsChecksum(r.Commit) {
			t.Fatalf("release %d = %+v, want version %s and a checksum", i+2, r, want)
		}
		if p, err := repo.RevParse(ctx, r.Commit+"^"); err != nil || p != parent.Commit {
			t.Errorf("%s's parent = %s, %v, want %s", r.Version, p, err, parent.Commit)
		}
		for key, want := range map[string]string{altcos.MetaVersion: r.Version, altcos.MetaIgnitionSpec: testcommit.IgnitionSpec} {
			if got, err := repo.Metadata(ctx, r.Commit, key); err != nil || got != want {
				t.Errorf("%s metadata %s = %q, %v, want %q", r.Version, key, got, err, want)
			}
		}
		var marker, osRelease strings.Builder
		if err := repo.Cat(ctx, r.Commit, releaseMarker, &marker); err != nil || marker.String() != r.Version+"\n" {
			t.Errorf("%s's %s = %q, %v, want %q", r.Version, releaseMarker, marker.String(), err, r.Version+"\n")
		}
		if err := repo.Cat(ctx, r.Commit, "/usr/lib/os-release", &osRelease); err != nil || !strings.Contains(osRelease.String(), "ALT Container OS") {
			t.Errorf("%s's os-release = %q, %v, want v1's", r.Version, osRelease.String(), err)
		}
	}
	if head, err := repo.RevParse(ctx, v1d.Ref); err != nil || head != v4.Commit {
		t.Errorf("%s in the scenario's repo = %s, %v, want v4 %s", v1d.Ref, head, err, v4.Commit)
	}
	// v3 brings the broken drop-in (and v4, made on v3's tree, keeps it).
	for _, r := range rels[1:] {
		var b strings.Builder
		err := repo.Cat(ctx, r.Commit, brokenDropIn, &b)
		if has := err == nil && b.String() == updateBrokenDropIn; has != (r != v2) {
			t.Errorf("%s has the broken drop-in: %v (%v), want %v", r.Version, has, err, r != v2)
		}
	}
	// The graph offers v2 from v1, and v4 from v2 when v3 is denied.
	arch, stream := refParts(v1d.Ref)
	data, err := os.ReadFile(graph.Path(u.GraphDir, arch, stream))
	if err != nil {
		t.Fatal(err)
	}
	g, err := graph.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if n, ok, err := g.Next(v1.Commit, graph.Policy{Skip: map[string]bool{v3.Commit: true, v4.Commit: true}}); err != nil || !ok || n.Payload != v2.Commit {
		t.Errorf("graph: next of v1 = %s, %v, %v, want v2", n.Version, ok, err)
	}
	if n, ok, err := g.Next(v2.Commit, graph.Policy{Skip: map[string]bool{v3.Commit: true}}); err != nil || !ok || n.Payload != v4.Commit {
		t.Errorf("graph: next of v2 without v3 = %s, %v, %v, want v4", n.Version, ok, err)
	}
	// A client that trusts the key, as the OS's remote does.
	client := filepath.Join(t.TempDir(), "client")
	c := &ostree.Repo{Path: client}
	if err := c.Init(ctx, "bare-user"); err != nil {
		t.Fatal(err)
	}
	add := ostree.RepoArgs(client, "remote", "add", "--set=gpg-verify=true", "--set=gpgkeypath="+key.Keyring, altcos.RemoteName, "file://"+u.Dir)
	if err := run.Run(ctx, nil, run.Cmd{Argv: add}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []release{v2, v3} {
		if err := run.Run(ctx, nil, run.Cmd{Argv: ostree.RepoArgs(client, "pull", "--commit-metadata-only", altcos.RemoteName, r.Commit)}); err != nil {
			t.Errorf("pull of the signed %s: %v", r.Version, err)
		}
	}
	err = run.Run(ctx, nil, run.Cmd{Argv: ostree.RepoArgs(client, "pull", "--commit-metadata-only", altcos.RemoteName, v4.Commit)})
	if err == nil || !strings.Contains(err.Error(), "no signatures found") {
		t.Errorf("pull of the unsigned v4 = %v, want ostree's 'no signatures found'", err)
	}
	// v1 in the repo the commits came from is left as it was.
	if out, err := run.Output(ctx, nil, run.Cmd{Argv: ostree.RepoArgs(src, "rev-parse", v1d.Ref)}); err != nil || strings.TrimSpace(string(out)) != v1d.Commit {
		t.Errorf("the source repo's %s = %s, %v, want v1 untouched", v1d.Ref, out, err)
	}
}

// TestLockService runs the scenario's lock service (the embedded etcd is
// Go, no tools) with a FleetLock client standing in for the guest's agent:
// a slot released before any was taken is no cycle; a slot taken and
// released is one, with etcd naming no holder after it; a slot still held
// is not.
func TestLockService(t *testing.T) {
	tooltest.Slow(t)
	ctx := t.Context()
	l, err := startLockService(ctx, t.TempDir(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	env := &Env{}
	node := &fleetlock.Client{BaseURL: "http://" + l.Addr, Params: fleetlock.ClientParams{ID: "0123456789abcdef0123456789abcdef", Group: lockGroup}}
	if err := node.Unlock(ctx); err != nil { // the agent's steady-state at boot
		t.Fatal(err)
	}
	if _, err := l.awaitCycle(ctx, env, "nothing taken", 0, time.Second); err == nil {
		t.Error("awaitCycle() after a release alone = nil, want an error")
	}
	if err := node.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	other := &fleetlock.Client{BaseURL: node.BaseURL, Params: fleetlock.ClientParams{ID: "fedcba9876543210fedcba9876543210", Group: lockGroup}}
	if err := other.Lock(ctx); err == nil {
		t.Error("a second node got the group's only slot")
	}
	if err := node.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	next, err := l.awaitCycle(ctx, env, "taken and released", 0, time.Minute)
	if err != nil || next != 3 {
		t.Fatalf("awaitCycle() = %d, %v, want 3 (after the release), nil", next, err)
	}
	if err := node.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := l.awaitCycle(ctx, env, "still held", next, time.Second); err == nil || !strings.Contains(err.Error(), "no slot taken and released") {
		t.Errorf("awaitCycle() with the slot held = %v, want no cycle", err)
	}
	// The log is kept in the service's folder too.
	if evs := lockEvents(l.log.Bytes()); len(evs) != 4 || evs[3].Endpoint != "pre-reboot" || evs[3].ID != node.Params.ID {
		t.Errorf("lockEvents() = %+v, want 4 granted requests, the last a pre-reboot of %s", evs, node.Params.ID)
	}
}

func TestLockCycle(t *testing.T) {
	ev := func(endpoint, id string) lockEvent { return lockEvent{Endpoint: endpoint, ID: id} }
	evs := []lockEvent{ev("steady-state", "a"), ev("pre-reboot", "a"), ev("steady-state", "b"), ev("steady-state", "a"), ev("pre-reboot", "a")}
	taken, freed, next, ok := lockCycle(evs, 0)
	if !ok || taken != evs[1] || freed != evs[3] || next != 4 {
		t.Errorf("lockCycle(0) = %v, %v, %d, %v, want events 1 and 3, next 4", taken, freed, next, ok)
	}
	if _, _, _, ok := lockCycle(evs, next); ok {
		t.Error("lockCycle(4) found a cycle in a slot still held")
	}
	if _, _, _, ok := lockCycle(evs[:3], 0); ok {
		t.Error("lockCycle found a release by another node")
	}
}

// TestUpdateIgnition checks the scenario's guest configuration: the agent's
// drop-in is a valid configuration for fleet_lock against the host's lock
// service, its health units name the unit the Ignition config enables and
// the broken release's drop-in targets.
func TestUpdateIgnition(t *testing.T) {
	cfg, err := config.Parse([]byte(updateAgentConfig), "testdata/update-agent.toml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Updates.Strategy != strategy.NameFleetLock || cfg.Updates.FleetLock.BaseURL != "http://10.0.2.2:"+strings.TrimPrefix(lockListen, "127.0.0.1:") {
		t.Errorf("agent drop-in: strategy %q against %q, want fleet_lock against the guest's view of %s", cfg.Updates.Strategy, cfg.Updates.FleetLock.BaseURL, lockListen)
	}
	if cfg.Identity.Group != lockGroup || !slices.Contains(cfg.Health.Units, healthUnit) {
		t.Errorf("agent drop-in: group %q, health units %v, want %q and %s", cfg.Identity.Group, cfg.Health.Units, lockGroup, healthUnit)
	}
	if !strings.HasPrefix(brokenDropIn, "/usr/lib/systemd/system/"+healthUnit+".d/") {
		t.Errorf("the broken drop-in %s is not one of %s", brokenDropIn, healthUnit)
	}
	env := &Env{Out: t.TempDir()}
	p, err := env.updateIgnition()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	type file struct {
		Path     string `json:"path"`
		Contents struct {
			Source string `json:"source"`
		} `json:"contents"`
	}
	type unit struct {
		Name    string `json:"name"`
		Enabled bool   `json:"enabled"`
	}
	var c struct {
		Passwd struct {
			Users []struct{ Name string } `json:"users"`
		} `json:"passwd"`
		Storage struct {
			Files []file `json:"files"`
		} `json:"storage"`
		Systemd struct {
			Units []unit `json:"units"`
		} `json:"systemd"`
	}
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	hasFile := slices.ContainsFunc(c.Storage.Files, func(f file) bool {
		return f.Path == agentDropIn && strings.HasPrefix(f.Contents.Source, "data:;base64,")
	})
	hasUnit := slices.ContainsFunc(c.Systemd.Units, func(u unit) bool { return u.Name == healthUnit && u.Enabled })
	if !hasFile || !hasUnit || len(c.Passwd.Users) != 2 || len(c.Storage.Files) != 2 || len(c.Systemd.Units) != 2 {
		t.Errorf("update Ignition config: drop-in %v, enabled %s %v, users %v, %d files, %d units; want the vmtest config plus root, the drop-in and the unit",
			hasFile, healthUnit, hasUnit, c.Passwd.Users, len(c.Storage.Files), len(c.Systemd.Units))
	}
}
