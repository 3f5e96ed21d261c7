package agent

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/altcos/altcos-tools/updates/fleetlock"
	"github.com/altcos/altcos-tools/updates/fleetlock/server"
	"github.com/altcos/altcos-tools/updates/strategy"
)

// TestFleetLockTwoNodes: two agents, one reboot slot on a real lock service
// (embedded etcd). The second node reboots only after the first one has
// booted its update and released the slot.
func TestFleetLockTwoNodes(t *testing.T) {
	e, err := server.StartEtcd(context.Background(), server.EtcdConfig{Dir: t.TempDir(), ClientURL: "http://127.0.0.1:0", PeerURL: "http://127.0.0.1:0", LogLevel: "panic"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{e.Endpoint}})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	store := &server.Store{Client: cli}
	lockSrv := httptest.NewServer((&server.Server{Store: store, Groups: map[string]int{"default": 1}}).Handler())
	defer lockSrv.Close()

	node := func(id string) (*Agent, *fakeSystem) {
		sys := newFakeSystem(v1, v1, v2)
		a := newAgent(t, sys, nil, graphOf(t, v1, v2))
		a.Strategy, err = strategy.New(strategy.Params{Name: strategy.NameFleetLock}, strategy.Deps{Clock: a.Clock,
			Locker: &fleetlock.Client{BaseURL: lockSrv.URL, Params: fleetlock.ClientParams{ID: id, Group: "default"}}})
		if err != nil {
			t.Fatal(err)
		}
		return a, sys
	}
	holders := func() []string {
		sem, err := store.Get(context.Background(), "default")
		if err != nil {
			t.Fatal(err)
		}
		return sem.Holders
	}
	a, sysA := node("node-a")
	b, sysB := node("node-b")
	ctx := context.Background()
	for _, n := range []*Agent{a, b} {
		if err := n.AfterBoot(ctx); err != nil {
			t.Fatalf("AfterBoot() = %v", err)
		}
	}
	if err := a.Step(ctx); !errors.Is(err, ErrRebooting) || sysA.reboots != 1 {
		t.Fatalf("node a: Step() = %v, reboots %d; want a reboot with the slot", err, sysA.reboots)
	}
	if h := holders(); len(h) != 1 || h[0] != "node-a" {
		t.Fatalf("holders = %v, want [node-a]", h)
	}
	// b stages the update but keeps asking for the slot (ten refusals here).
	bctx, cancel := context.WithCancel(ctx)
	clockB := b.Clock.(*fakeClock)
	clockB.limit, clockB.cancel = 10, cancel
	if err := b.Step(bctx); err == nil || errors.Is(err, ErrRebooting) || sysB.reboots != 0 {
		t.Fatalf("node b: Step() = %v, reboots %d; want no reboot while a holds the slot", err, sysB.reboots)
	}
	cancel()
	// a boots its update, passes the health checks and releases the slot.
	sysA.boot()
	if err := a.AfterBoot(ctx); err != nil {
		t.Fatalf("node a: AfterBoot() = %v", err)
	}
	if h := holders(); len(h) != 0 {
		t.Fatalf("holders after a is steady = %v, want none", h)
	}
	clockB.limit = 0
	if err := b.Step(ctx); !errors.Is(err, ErrRebooting) || sysB.reboots != 1 || len(sysB.pulls) != 1 {
		t.Fatalf("node b: Step() = %v, reboots %d, pulls %d; want the reboot of the already staged update", err, sysB.reboots, len(sysB.pulls))
	}
	if h := holders(); len(h) != 1 || h[0] != "node-b" {
		t.Errorf("holders = %v, want [node-b]", h)
	}
}
