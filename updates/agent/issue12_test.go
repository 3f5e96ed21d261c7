package agent

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/altcos/altcos-tools/ostree"
	"github.com/altcos/altcos-tools/updates/graph"
	"github.com/altcos/altcos-tools/updates/strategy"
)

// TestStageStrategy: stage downloads and deploys the update, reports
// "staged, reboot to apply" once, and never reboots; later steps neither
// pull again nor repeat the message.
func TestStageStrategy(t *testing.T) {
	sys := newFakeSystem(v1, v1, v2)
	a := newAgent(t, sys, strategy.Stage{}, graphOf(t, v1, v2))
	var logs bytes.Buffer
	a.Log = slog.New(slog.NewTextHandler(&logs, nil))
	for i := 0; i < 3; i++ {
		if err := a.Step(context.Background()); err != nil {
			t.Fatalf("Step() #%d = %v, want nil", i+1, err)
		}
	}
	if sys.reboots != 0 || len(sys.pulls) != 1 || sys.ds[0].Checksum != v2.Checksum || a.Metrics.State() != "staged" {
		t.Errorf("after 3 steps: reboots %d, pulls %d, default %.8s, state %s; want 0, 1, v2, staged", sys.reboots, len(sys.pulls), sys.ds[0].Checksum, a.Metrics.State())
	}
	if n := strings.Count(logs.String(), "reboot to apply"); n != 1 {
		t.Errorf("logged \"reboot to apply\" %d times, want once:\n%s", n, logs.String())
	}
}

// blockStrategy waits for ever (as periodic far from its window, or
// fleet_lock without a slot).
type blockStrategy struct{ waits int }

func (s *blockStrategy) Name() string { return "block" }
func (s *blockStrategy) WaitReboot(ctx context.Context) error {
	waitsMu.Lock()
	s.waits++
	waitsMu.Unlock()
	<-ctx.Done()
	return ctx.Err()
}
func (s *blockStrategy) ReportSteady(ctx context.Context) error { return nil }

// TestUpdateNow runs the agent in-process on the wall clock with a 5-minute
// interval and a strategy that never allows a reboot. update-now wakes it
// from its pause (a new release was published meanwhile), and then skips
// the strategy's wait once: the node reboots within a second or so, and
// the request is used up.
func TestUpdateNow(t *testing.T) {
	sys := newFakeSystem(v1, v1, v2)
	st := &blockStrategy{}
	a := newAgent(t, sys, st, nil)
	a.Clock = strategy.RealClock{}
	a.nowPoll = 10 * time.Millisecond
	var mu sync.Mutex
	g := graphOf(t, v1)
	checks := make(chan struct{}, 10)
	a.FetchGraph = func(context.Context, graph.Query) (*graph.Graph, error) {
		mu.Lock()
		defer mu.Unlock()
		checks <- struct{}{}
		return g, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	<-checks // the first check: nothing offered; the agent pauses 5 minutes
	mu.Lock()
	g = graphOf(t, v1, v2)
	mu.Unlock()
	start := time.Now()
	if err := RequestUpdateNow(a.StatePath); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Run() = %v, want nil after the reboot", err)
	}
	if took := time.Since(start); took > 5*time.Second || sys.reboots != 1 || sys.ds[0].Checksum != v2.Checksum {
		t.Errorf("update-now: reboot after %s, reboots %d, default %.8s; want one reboot into v2 within seconds", took, sys.reboots, sys.ds[0].Checksum)
	}
	if st.waitsSeen() != 0 {
		t.Errorf("the strategy was asked %d times, want its wait skipped", st.waits)
	}
	if _, err := os.Stat(UpdateNowPath(a.StatePath)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the update-now request is still there (%v), want it used up", err)
	}

	// A request that comes while the strategy waits ends that wait.
	sys = newFakeSystem(v1, v1, v2)
	st = &blockStrategy{}
	b := newAgent(t, sys, st, graphOf(t, v1, v2))
	b.nowPoll = 10 * time.Millisecond
	go func() {
		for st.waitsSeen() == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		RequestUpdateNow(b.StatePath)
	}()
	if err := b.Step(ctx); !errors.Is(err, ErrRebooting) || sys.reboots != 1 {
		t.Errorf("Step() with update-now during the wait = %v, reboots %d; want ErrRebooting, 1", err, sys.reboots)
	}
}

var waitsMu sync.Mutex

func (s *blockStrategy) waitsSeen() int { waitsMu.Lock(); defer waitsMu.Unlock(); return s.waits }

// TestGraphQueryFromAgent: the agent sends zincati's parameters.
func TestGraphQueryFromAgent(t *testing.T) {
	sys := newFakeSystem(v1, v1, v2)
	a := newAgent(t, sys, &recStrategy{}, nil)
	w := 0.25
	a.Config.Identity.Group, a.Config.Identity.RolloutWariness = "workers", &w
	a.NodeUUID, a.Platform = "3d1219c7c4c5404aaa1f6d2a48adfda4", "qemu"
	var got graph.Query
	a.FetchGraph = func(ctx context.Context, q graph.Query) (*graph.Graph, error) { got = q; return graphOf(t, v1), nil }
	if err := a.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := graph.Query{Basearch: "x86_64", Stream: "sisyphus", NodeUUID: a.NodeUUID, Wariness: &w, Group: "workers",
		Platform: "qemu", OSVersion: v1.Version, OSChecksum: v1.Checksum}
	if got != want {
		t.Errorf("graph query = %+v, want %+v", got, want)
	}
}

// TestDeadEndReported: a booted release the graph marks as a dead end is
// logged once and exposed as altcos_updated_booted_deadend 1.
func TestDeadEndReported(t *testing.T) {
	sys := newFakeSystem(v1, v1)
	g, err := graph.Build([]graph.Release{v1}, map[string]string{v1.Version: "bad kernel; reinstall"})
	if err != nil {
		t.Fatal(err)
	}
	a := newAgent(t, sys, &recStrategy{}, g)
	var logs bytes.Buffer
	a.Log = slog.New(slog.NewTextHandler(&logs, nil))
	for i := 0; i < 2; i++ {
		if err := a.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(logs.String(), "dead end"); n != 1 || !strings.Contains(logs.String(), "bad kernel") {
		t.Errorf("logged the dead end %d times, want once with its reason:\n%s", n, logs.String())
	}
	rec := httptest.NewRecorder()
	a.Metrics.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), "altcos_updated_booted_deadend 1") {
		t.Errorf("metrics lack the dead end:\n%s", rec.Body.String())
	}
}

// TestFollowsRebasedStream: with a rebase pending (the default deployment
// follows p10, the booted one sisyphus), the agent reads the p10 graph,
// moves from the pending release and keeps the p10 origin.
func TestFollowsRebasedStream(t *testing.T) {
	p1 := graph.Release{Version: "p10.20261125.1.0", Checksum: sum('a')}
	p2 := graph.Release{Version: "p10.20261126.1.0", Checksum: sum('b')}
	const p10 = "altcos:altcos/x86_64/p10"
	sys := newFakeSystem(v1, v1, p1, p2)
	sys.ds = append([]ostree.DeploymentEntry{{OSName: "alt-containeros", Checksum: p1.Checksum, Version: p1.Version, Refspec: p10}}, sys.ds...)
	sys.reindex()
	a := newAgent(t, sys, &recStrategy{}, nil)
	var got graph.Query
	a.FetchGraph = func(ctx context.Context, q graph.Query) (*graph.Graph, error) {
		got = q
		return graphOf(t, p1, p2), nil
	}
	if err := a.Step(context.Background()); !errors.Is(err, ErrRebooting) {
		t.Fatalf("Step() = %v, want a reboot into p2", err)
	}
	if got.Stream != "p10" || got.OSChecksum != p1.Checksum {
		t.Errorf("graph query %+v, want stream p10 from the pending p1", got)
	}
	if sys.ds[0].Checksum != p2.Checksum || sys.refspecs[0] != p10 {
		t.Errorf("deployed %.8s following %v, want p2 following %s", sys.ds[0].Checksum, sys.refspecs, p10)
	}
}

// TestMetricsZincatiFamilies: the families that stand for zincati's.
func TestMetricsZincatiFamilies(t *testing.T) {
	m := NewMetrics()
	m.SetConfig("fleet_lock", true)
	m.Refreshed(time.Unix(1764000000, 0))
	m.UpdateAttempt()
	m.RebootAttempt()
	m.LockResult("lock", nil)
	m.LockResult("lock", errors.New("409"))
	m.Postponed(2)
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{
		"altcos_updated_last_refresh_timestamp_seconds 1.764e+09", "altcos_updated_update_attempts_total 1",
		"altcos_updated_reboots_total 1", `altcos_updated_lock_requests_total{op="lock",result="error"} 1`,
		`altcos_updated_lock_requests_total{op="lock",result="ok"} 1`, `altcos_updated_strategy_info{strategy="fleet_lock"} 1`,
		"altcos_updated_updates_enabled 1", "altcos_updated_reboot_postponements_total 1", "altcos_updated_active_users 2",
		"altcos_updated_booted_deadend 0", "altcos_updated_last_check_timestamp_seconds 0",
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %q:\n%s", want, rec.Body.String())
		}
	}
}

// TestStageHealthCheckAfterAdminReboot: under stage, the administrator's
// reboot into the staged update is health-checked like the agent's own; a
// failure rolls back and denies the release, and nothing reboots.
func TestStageHealthCheckAfterAdminReboot(t *testing.T) {
	for _, healthy := range []bool{true, false} {
		sys := newFakeSystem(v1, v1, v2)
		a := newAgent(t, sys, strategy.Stage{}, graphOf(t, v1, v2))
		if err := a.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
		sys.boot() // by the administrator
		if !healthy {
			sys.units["docker.service"] = "failed"
		}
		if err := a.AfterBoot(context.Background()); err != nil {
			t.Fatalf("AfterBoot() = %v", err)
		}
		s, _ := LoadState(a.StatePath)
		if healthy && (sys.rollback != 0 || s.Rebooting != nil || s.Staged != "" || len(s.Denied) != 0) {
			t.Errorf("healthy: rollbacks %d, state %+v; want none and an empty state", sys.rollback, s)
		}
		if !healthy && (sys.rollback != 1 || sys.reboots != 0 || sys.ds[0].Checksum != v1.Checksum || s.Denied[v2.Checksum] == "") {
			t.Errorf("failed: rollbacks %d, reboots %d, default %.8s, denied %v; want one rollback to v1, no reboot, v2 denied",
				sys.rollback, sys.reboots, sys.ds[0].Checksum, s.Denied)
		}
	}
}
