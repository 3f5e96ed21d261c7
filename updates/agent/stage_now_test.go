package agent

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

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
