package agent

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/altcos/altcos-tools/ostree"
	"github.com/altcos/altcos-tools/updates/graph"
	"github.com/altcos/altcos-tools/updates/strategy"
)

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
