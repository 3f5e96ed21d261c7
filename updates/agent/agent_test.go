package agent

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/altcos/altcos-tools/ostree"
	"github.com/altcos/altcos-tools/updates/config"
	"github.com/altcos/altcos-tools/updates/fleetlock"
	"github.com/altcos/altcos-tools/updates/graph"
	"github.com/altcos/altcos-tools/updates/strategy"
)

func sum(c byte) string { return strings.Repeat(string(c), 64) }

var (
	v1 = graph.Release{Version: "sisyphus.20261101.0.0", Checksum: sum('1')}
	v2 = graph.Release{Version: "sisyphus.20261125.0.0", Checksum: sum('2')}
)

const refspec = "altcos:altcos/x86_64/sisyphus"

// fakeSystem is a node with ostree deployments held in memory.
type fakeSystem struct {
	ds       []ostree.DeploymentEntry
	remote   map[string]string // commit -> version
	pullErr  error
	units    map[string]string
	pulls    []string
	deploys  []string
	refspecs []string // of the deploys
	reboots  int
	rollback int
}

func newFakeSystem(booted graph.Release, remote ...graph.Release) *fakeSystem {
	f := &fakeSystem{remote: map[string]string{}, units: map[string]string{}}
	for _, r := range remote {
		f.remote[r.Checksum] = r.Version
	}
	f.ds = []ostree.DeploymentEntry{{OSName: "alt-containeros", Checksum: booted.Checksum, Version: booted.Version, Refspec: refspec, Booted: true}}
	return f
}

func (f *fakeSystem) reindex() {
	for i := range f.ds {
		f.ds[i].Index = i
	}
}

func (f *fakeSystem) Deployments(ctx context.Context) ([]ostree.DeploymentEntry, error) {
	return slices.Clone(f.ds), nil
}

func (f *fakeSystem) Pull(ctx context.Context, refspec, commit string) error {
	f.pulls = append(f.pulls, commit)
	if f.pullErr != nil {
		return f.pullErr
	}
	if _, ok := f.remote[commit]; !ok {
		return fmt.Errorf("ostree admin upgrade: exit status 1: error: No such metadata object %s.commit", commit)
	}
	return nil
}

func (f *fakeSystem) Deploy(ctx context.Context, refspec, commit string) error {
	f.deploys = append(f.deploys, commit)
	var keep []ostree.DeploymentEntry
	for _, d := range f.ds {
		if d.Booted || len(keep) == 0 {
			keep = append(keep, d)
		}
	}
	f.ds = append([]ostree.DeploymentEntry{{OSName: "alt-containeros", Checksum: commit, Version: f.remote[commit], Refspec: refspec}}, keep...)
	f.refspecs = append(f.refspecs, refspec)
	f.reindex()
	return nil
}

func (f *fakeSystem) Rollback(ctx context.Context) error {
	f.rollback++
	t, ok := ostree.RollbackTarget(f.ds)
	if !ok {
		return errors.New("nothing to roll back to")
	}
	f.ds = append([]ostree.DeploymentEntry{t}, slices.Delete(slices.Clone(f.ds), t.Index, t.Index+1)...)
	f.reindex()
	return nil
}

func (f *fakeSystem) Reboot(ctx context.Context) error { f.reboots++; return nil }

// boot simulates the reboot: the default deployment is now the booted one.
func (f *fakeSystem) boot() {
	for i := range f.ds {
		f.ds[i].Booted = i == 0
	}
}

func (f *fakeSystem) UnitState(ctx context.Context, unit string) (string, error) {
	if s, ok := f.units[unit]; ok {
		return s, nil
	}
	return "active", nil
}

func (f *fakeSystem) booted() string { return Booted(f.ds).Checksum }

type fakeClock struct {
	now    time.Time
	slept  time.Duration
	limit  int
	sleeps int
	cancel context.CancelFunc
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.now = c.now.Add(d)
	c.slept += d
	c.sleeps++
	if c.limit > 0 && c.sleeps >= c.limit {
		c.cancel()
		return context.Canceled
	}
	return nil
}

type recStrategy struct {
	waits, steady int
	err           error
}

func (s *recStrategy) Name() string { return "test" }
func (s *recStrategy) WaitReboot(ctx context.Context) error {
	s.waits++
	return s.err
}
func (s *recStrategy) ReportSteady(ctx context.Context) error { s.steady++; return nil }

func graphOf(t *testing.T, rs ...graph.Release) *graph.Graph {
	t.Helper()
	g, err := graph.Build(rs, nil)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func newAgent(t *testing.T, sys System, st strategy.Strategy, g *graph.Graph) *Agent {
	t.Helper()
	cfg := config.Defaults()
	cfg.Health.Units = []string{"multi-user.target", "docker.service"}
	return &Agent{
		Config:    &cfg,
		System:    sys,
		Strategy:  st,
		StatePath: filepath.Join(t.TempDir(), "state.json"),
		Clock:     &fakeClock{now: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)},
		FetchGraph: func(ctx context.Context, q graph.Query) (*graph.Graph, error) {
			if q.Basearch != "x86_64" || q.Stream != "sisyphus" {
				return nil, fmt.Errorf("query %+v, want x86_64 sisyphus", q)
			}
			return g, nil
		},
	}
}

func TestUpdateRebootHealthy(t *testing.T) {
	sys := newFakeSystem(v1, v1, v2)
	st := &recStrategy{}
	a := newAgent(t, sys, st, graphOf(t, v1, v2))
	if err := a.AfterBoot(context.Background()); err != nil || st.steady != 1 {
		t.Fatalf("AfterBoot() = %v, steady reports %d, want nil, 1", err, st.steady)
	}
	if err := a.Step(context.Background()); !errors.Is(err, ErrRebooting) {
		t.Fatalf("Step() = %v, want ErrRebooting", err)
	}
	if sys.reboots != 1 || st.waits != 1 || sys.ds[0].Checksum != v2.Checksum || sys.ds[1].Checksum != v1.Checksum {
		t.Fatalf("after Step: reboots=%d waits=%d deployments=%v, want v2 default, v1 booted, one reboot after the strategy", sys.reboots, st.waits, sys.ds)
	}
	sys.boot()
	if err := a.AfterBoot(context.Background()); err != nil {
		t.Fatalf("AfterBoot() after the update = %v", err)
	}
	if sys.booted() != v2.Checksum || sys.rollback != 0 || st.steady != 2 {
		t.Errorf("after a healthy boot: booted %.8s, rollbacks %d, steady reports %d; want v2, 0, 2", sys.booted(), sys.rollback, st.steady)
	}
	if s, _ := LoadState(a.StatePath); s.Rebooting != nil || s.Staged != "" {
		t.Errorf("state after a healthy boot = %+v, want empty", s)
	}
	// Now on the newest release: nothing to do.
	if err := a.Step(context.Background()); err != nil || sys.reboots != 1 {
		t.Errorf("Step() on the newest = %v, reboots %d, want nil, 1", err, sys.reboots)
	}
}

func TestHealthFailureRollsBackAndNeverOffersAgain(t *testing.T) {
	for _, unitState := range []string{"failed", "activating"} {
		t.Run(unitState, func(t *testing.T) {
			sys := newFakeSystem(v1, v1, v2)
			st := &recStrategy{}
			a := newAgent(t, sys, st, graphOf(t, v1, v2))
			if err := a.Step(context.Background()); !errors.Is(err, ErrRebooting) {
				t.Fatalf("Step() = %v", err)
			}
			sys.boot()
			sys.units["docker.service"] = unitState
			if err := a.AfterBoot(context.Background()); !errors.Is(err, ErrRebooting) {
				t.Fatalf("AfterBoot() with %s unit = %v, want ErrRebooting (rollback)", unitState, err)
			}
			if sys.rollback != 1 || sys.reboots != 2 || sys.ds[0].Checksum != v1.Checksum {
				t.Fatalf("rollbacks=%d reboots=%d default=%.8s, want 1, 2, v1", sys.rollback, sys.reboots, sys.ds[0].Checksum)
			}
			if unitState == "activating" {
				if c := a.Clock.(*fakeClock); c.slept < a.Config.HealthTimeout() {
					t.Errorf("gave up after %s, want the health timeout %s", c.slept, a.Config.HealthTimeout())
				}
			}
			s, _ := LoadState(a.StatePath)
			if !strings.Contains(s.Denied[v2.Checksum], "docker.service") {
				t.Errorf("denied = %v, want v2 denied naming docker.service", s.Denied)
			}
			if a.Metrics.Failures("health") != 1 {
				t.Errorf("health failures metric = %v, want 1", a.Metrics.Failures("health"))
			}
			sys.boot()
			delete(sys.units, "docker.service")
			if err := a.AfterBoot(context.Background()); err != nil {
				t.Fatalf("AfterBoot() back on v1 = %v", err)
			}
			// v2 is still in the graph, but never offered again: no loop.
			if err := a.Step(context.Background()); err != nil || sys.reboots != 2 || len(sys.deploys) != 1 {
				t.Errorf("Step() after rollback = %v, reboots %d, deploys %d; want nil, 2, 1", err, sys.reboots, len(sys.deploys))
			}
			// A newer release is offered again.
			v3 := graph.Release{Version: "sisyphus.20261201.0.0", Checksum: sum('3')}
			sys.remote[v3.Checksum] = v3.Version
			g := graphOf(t, v1, v2, v3)
			a.FetchGraph = func(context.Context, graph.Query) (*graph.Graph, error) { return g, nil }
			if err := a.Step(context.Background()); !errors.Is(err, ErrRebooting) || sys.ds[0].Checksum != v3.Checksum {
				t.Errorf("Step() with v3 = %v, default %.8s; want a reboot into v3", err, sys.ds[0].Checksum)
			}
		})
	}
}

func TestBootedSomethingElse(t *testing.T) {
	sys := newFakeSystem(v1, v1, v2)
	a := newAgent(t, sys, &recStrategy{}, graphOf(t, v1, v2))
	if err := a.Step(context.Background()); !errors.Is(err, ErrRebooting) {
		t.Fatal(err)
	}
	// The boot fell back to v1 (say, the boot menu's rollback entry).
	if err := a.AfterBoot(context.Background()); err != nil {
		t.Fatal(err)
	}
	s, _ := LoadState(a.StatePath)
	if _, ok := s.Denied[v2.Checksum]; !ok || s.Rebooting != nil {
		t.Errorf("state = %+v, want v2 denied and no attempt pending", s)
	}
}

// TestBadInput: whatever goes wrong, the agent reports a clear cause, the
// booted deployment stays, and nothing reboots.
func TestBadInput(t *testing.T) {
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"nodes": [{"version": "x", "payload": `))
	}))
	defer garbage.Close()
	lockGarbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte("<html>bad gateway</html>"))
	}))
	defer lockGarbage.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	notInRemote := graph.Release{Version: "sisyphus.20261130.0.0", Checksum: sum('9')}

	tests := []struct {
		name    string
		setup   func(a *Agent, sys *fakeSystem, clock *fakeClock, cancel context.CancelFunc)
		wantErr string
	}{
		{"graph does not parse", func(a *Agent, sys *fakeSystem, _ *fakeClock, _ context.CancelFunc) {
			a.FetchGraph = func(ctx context.Context, q graph.Query) (*graph.Graph, error) {
				return graph.Fetch(ctx, nil, garbage.URL, q)
			}
		}, "parse update graph"},
		{"graph service down", func(a *Agent, sys *fakeSystem, _ *fakeClock, _ context.CancelFunc) {
			a.FetchGraph = func(ctx context.Context, q graph.Query) (*graph.Graph, error) {
				return graph.Fetch(ctx, nil, down.URL, q)
			}
		}, "fetch update graph"},
		{"booted commit not in graph", func(a *Agent, sys *fakeSystem, _ *fakeClock, _ context.CancelFunc) {
			g := graphOf(t, v2, notInRemote)
			a.FetchGraph = func(context.Context, graph.Query) (*graph.Graph, error) { return g, nil }
		}, "not in the update graph"},
		{"payload not in the remote", func(a *Agent, sys *fakeSystem, _ *fakeClock, _ context.CancelFunc) {
			g := graphOf(t, v1, notInRemote)
			a.FetchGraph = func(context.Context, graph.Query) (*graph.Graph, error) { return g, nil }
		}, "No such metadata object"},
		{"pull fails halfway", func(a *Agent, sys *fakeSystem, _ *fakeClock, _ context.CancelFunc) {
			sys.pullErr = errors.New("ostree admin upgrade: exit status 1: error: Connection reset by peer (after 12 of 40 objects)")
		}, "Connection reset"},
		{"lock service down", func(a *Agent, sys *fakeSystem, clock *fakeClock, cancel context.CancelFunc) {
			clock.limit, clock.cancel = 20, cancel
			a.Strategy, _ = strategy.New(strategy.Params{Name: strategy.NameFleetLock}, strategy.Deps{Clock: clock,
				Locker: &fleetlock.Client{BaseURL: down.URL, Params: fleetlock.ClientParams{ID: "n1", Group: "default"}}})
		}, "fleet_lock strategy"},
		{"lock service answers garbage", func(a *Agent, sys *fakeSystem, clock *fakeClock, cancel context.CancelFunc) {
			clock.limit, clock.cancel = 20, cancel
			a.Strategy, _ = strategy.New(strategy.Params{Name: strategy.NameFleetLock}, strategy.Deps{Clock: clock,
				Locker: &fleetlock.Client{BaseURL: lockGarbage.URL, Params: fleetlock.ClientParams{ID: "n1", Group: "default"}}})
		}, "fleet_lock strategy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			sys := newFakeSystem(v1, v1, v2)
			a := newAgent(t, sys, &recStrategy{}, graphOf(t, v1, v2))
			tt.setup(a, sys, a.Clock.(*fakeClock), cancel)
			err := a.Step(ctx)
			if err == nil || errors.Is(err, ErrRebooting) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Step() = %v, want an error containing %q", err, tt.wantErr)
			}
			if sys.reboots != 0 || sys.booted() != v1.Checksum {
				t.Errorf("reboots %d, booted %.8s; want no reboot, v1 booted", sys.reboots, sys.booted())
			}
		})
	}
}

func TestRunRetriesAfterFailure(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sys := newFakeSystem(v1, v1, v2)
	a := newAgent(t, sys, &recStrategy{}, nil)
	clock := a.Clock.(*fakeClock)
	clock.limit, clock.cancel = 3, cancel
	calls := 0
	a.FetchGraph = func(context.Context, graph.Query) (*graph.Graph, error) {
		calls++
		return nil, errors.New("fetch update graph: HTTP 503")
	}
	if err := a.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run() = %v, want context.Canceled", err)
	}
	if calls != 3 || clock.slept != 3*a.Config.SteadyInterval() || sys.reboots != 0 {
		t.Errorf("Run(): %d checks over %s, %d reboots; want 3 checks a steady interval apart, no reboot", calls, clock.slept, sys.reboots)
	}
	if a.Metrics.Failures("graph") != 3 {
		t.Errorf("graph failures metric = %v, want 3", a.Metrics.Failures("graph"))
	}
}

func TestResumeStaged(t *testing.T) {
	sys := newFakeSystem(v1, v1, v2)
	st := &recStrategy{err: errors.New("outside every maintenance window")}
	a := newAgent(t, sys, st, graphOf(t, v1, v2))
	if err := a.Step(context.Background()); err == nil || sys.reboots != 0 {
		t.Fatalf("Step() = %v, reboots %d; want the strategy's error and no reboot", err, sys.reboots)
	}
	st.err = nil
	if err := a.Step(context.Background()); !errors.Is(err, ErrRebooting) || len(sys.pulls) != 1 {
		t.Errorf("Step() again = %v, pulls %d; want a reboot into the already staged update without pulling again", err, len(sys.pulls))
	}
}

func TestMetricsText(t *testing.T) {
	m := NewMetrics()
	m.SetState("steady")
	m.Fail("graph")
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{`altcos_updated_state{state="steady"} 1`, `altcos_updated_state{state="rebooting"} 0`, `altcos_updated_failures_total{step="graph"} 1`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %q:\n%s", want, rec.Body.String())
		}
	}
}

func TestRolesOf(t *testing.T) {
	a := ostree.DeploymentEntry{Index: 0, Checksum: sum('2')}
	b := ostree.DeploymentEntry{Index: 1, Checksum: sum('1')}
	r := RolesOf([]ostree.DeploymentEntry{a, b})
	if r.Pending == nil || r.Pending.Checksum != a.Checksum || r.Rollback == nil || r.Rollback.Checksum != b.Checksum || r.Booted != nil {
		t.Errorf("RolesOf(offline) = %+v", r)
	}
	b.Booted = true
	r = RolesOf([]ostree.DeploymentEntry{a, b})
	if r.Pending == nil || r.Booted == nil || r.Booted.Checksum != b.Checksum || r.Rollback != nil {
		t.Errorf("RolesOf(pending update) = %+v", r)
	}
	if _, err := ParseRefspec("fedora:fedora/x86_64/coreos/stable"); err == nil {
		t.Error("ParseRefspec(fcos ref) = nil error")
	}
	if o, err := ParseRefspec(refspec); err != nil || o.Stream != "sisyphus" || o.Arch != "x86_64" || o.Remote != "altcos" {
		t.Errorf("ParseRefspec(%s) = %+v, %v", refspec, o, err)
	}
}
