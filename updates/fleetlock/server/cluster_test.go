package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/altcos/altcos-tools/internal/testkit/etcdtest"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
	"github.com/altcos/altcos-tools/updates/fleetlock"
)

// TestClusterLeaderKilled runs the lock service against a real 3-member
// etcd cluster, as `altcos-fleetlock --etcd-endpoints` does, with many
// nodes locking and unlocking over HTTP, and kills the etcd leader midway.
// It asserts correctness only: never more holders than slots (seen by the
// nodes and in every revision of the semaphore in etcd), every grant
// released exactly once, no holder left, and service after the election.
// The figures (requests, errors during the election, time to recover) are
// logged, not asserted: they depend on the machine.
func TestClusterLeaderKilled(t *testing.T) {
	tooltest.Slow(t)
	const (
		members = 3
		slots   = 3
		nodes   = 50
		group   = "workers"
		// Successful requests before the kill, and after the recovery.
		okBefore, okAfter = 200, 200
	)
	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Second)
	defer cancel()

	// 1. The cluster, and the service as Command builds it for
	// --etcd-endpoints: one client of every member, the server's defaults.
	c := etcdtest.Start(t, members)
	cli, err := clientv3.New(clientv3.Config{Endpoints: c.Endpoints(), DialTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	srv := &Server{Store: &Store{Client: cli}, Groups: map[string]int{group: slots}}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	observer := c.Client(t) // the test's own view of etcd, apart from the service's
	started := time.Since(began)

	// 2. The nodes: lock, hold a moment, unlock, again, until stopped; a
	// request that fails is retried, as the agent does.
	r := &clusterRun{}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: nodes}}
	t.Cleanup(hc.CloseIdleConnections)
	stopCtx, stop := context.WithCancel(ctx)
	defer stop()
	cycles := make([]int, nodes)
	nodeErrs := make([]error, nodes)
	var wg sync.WaitGroup
	for n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := &fleetlock.Client{BaseURL: hs.URL, HTTP: hc, Params: fleetlock.ClientParams{ID: nodeID(n), Group: group}}
			for stopCtx.Err() == nil {
				// A cycle once begun ends with the slot given back, so that
				// the grants in etcd and the nodes' cycles can be compared.
				if err := r.call(ctx, cl.Lock); err != nil {
					nodeErrs[n] = fmt.Errorf("%s: lock: %w", cl.Params.ID, err)
					return
				}
				r.enter()
				sleep(ctx, 5*time.Millisecond, 20*time.Millisecond)
				r.leave()
				if err := r.call(ctx, cl.Unlock); err != nil {
					nodeErrs[n] = fmt.Errorf("%s: unlock: %w", cl.Params.ID, err)
					return
				}
				cycles[n]++
				sleep(ctx, 0, 50*time.Millisecond)
			}
		}()
	}
	var once sync.Once
	finish := func() {
		once.Do(func() {
			stop()
			wg.Wait()
			if err := errors.Join(nodeErrs...); err != nil {
				t.Errorf("nodes gave up (deadline of the test): %v", err)
			}
		})
	}
	defer finish()

	// 3. Kill the leader once the service is busy.
	if err := waitFor(ctx, func() bool { return r.ok.Load() >= okBefore }); err != nil {
		t.Fatalf("%d successful requests before the kill, want %d: %v", r.ok.Load(), okBefore, err)
	}
	old, err := c.KillLeader(ctx, observer, func() { r.killedAt.Store(time.Now().UnixNano()) })
	if err != nil {
		t.Fatal(err)
	}
	killTook := time.Since(time.Unix(0, r.killedAt.Load()))
	lead, err := c.WaitLeader(ctx, observer)
	if err != nil {
		t.Fatalf("after killing etcd leader %s: %v", c.Members[old].Name, err)
	}
	electedIn := time.Since(time.Unix(0, r.killedAt.Load()))

	// 4. Service resumes: successful requests begun after the kill.
	if err := waitFor(ctx, func() bool { return r.okAfterKill.Load() >= okAfter }); err != nil {
		t.Fatalf("%d successful requests after killing etcd leader %s, want %d: %v", r.okAfterKill.Load(), c.Members[old].Name, okAfter, err)
	}
	finish()
	if t.Failed() {
		return
	}

	// 5. The nodes never saw more holders than slots.
	if m := r.maxInside.Load(); m > slots {
		t.Errorf("%d nodes held a slot at once, want at most %d", m, slots)
	}
	// 6. Nor did etcd, in any revision, and every grant was released once.
	h, err := semaphoreHistory(ctx, observer, group)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range h.errs {
		t.Error(e)
	}
	if len(h.final.Holders) != 0 {
		t.Errorf("holders in etcd after the run = %v, want none", h.final.Holders)
	}
	total := 0
	for n, want := range cycles {
		id := nodeID(n)
		total += want
		if h.grants[id] != want || h.releases[id] != want {
			t.Errorf("%s: etcd granted its slot %d times and released it %d times, want %d (its lock-unlock cycles)", id, h.grants[id], h.releases[id], want)
		}
	}

	recovered := "never"
	if at := r.recoveredAt.Load(); at != 0 {
		recovered = time.Duration(at - r.killedAt.Load()).Round(time.Millisecond).String()
	}
	t.Logf("etcd cluster of %d members up in %v; %d nodes, %d slots", members, started.Round(time.Millisecond), nodes, slots)
	t.Logf("killed leader %s (hard stop, %v to close); new leader %s, agreed on %v after the kill",
		c.Members[old].Name, killTook.Round(time.Millisecond), c.Members[lead].Name, electedIn.Round(time.Millisecond))
	t.Logf("requests served: %d (%d ok, %d slots full), %d lock-unlock cycles, %d semaphore revisions in etcd, at most %d holders (nodes' view) and %d (etcd's)",
		r.ok.Load()+r.full.Load(), r.ok.Load(), r.full.Load(), total, h.revisions, r.maxInside.Load(), h.maxHolders)
	t.Logf("errors: %d before the kill, %d after it; first successful request begun after the kill done %s after it",
		r.errs.Load()-r.errsAfterKill.Load(), r.errsAfterKill.Load(), recovered)
	for _, e := range r.samples() {
		t.Logf("  error after the kill: %v", e)
	}
	t.Logf("wall time %v", time.Since(began).Round(time.Millisecond))
}

func nodeID(n int) string { return fmt.Sprintf("node-%02d", n) }

// clusterRun is what the nodes observed, apart from the service and etcd.
type clusterRun struct {
	inside, maxInside atomic.Int64 // nodes between a granted lock and their unlock request

	ok, full, errs atomic.Int64
	killedAt       atomic.Int64 // Unix ns; 0 before the kill
	okAfterKill    atomic.Int64 // successful requests begun after the kill
	errsAfterKill  atomic.Int64 // errors of requests that ended after the kill
	recoveredAt    atomic.Int64 // Unix ns: the first of okAfterKill done

	mu     sync.Mutex
	sample []error
}

// enter counts a node that got its slot: a slot is held in etcd from the
// lock's 200 answer until the unlock request, so the count is a lower bound
// of the holders in etcd and must stay within the slots.
func (r *clusterRun) enter() {
	n := r.inside.Add(1)
	for m := r.maxInside.Load(); n > m && !r.maxInside.CompareAndSwap(m, n); m = r.maxInside.Load() {
	}
}

func (r *clusterRun) leave() { r.inside.Add(-1) }

// call runs op until it succeeds or ctx ends, as the agent's fleet_lock
// strategy does (with a backoff of milliseconds instead of its minutes).
func (r *clusterRun) call(ctx context.Context, op func(context.Context) error) error {
	for {
		begin := time.Now().UnixNano()
		err := op(ctx)
		end := time.Now().UnixNano()
		kill := r.killedAt.Load()
		var fe *fleetlock.Error
		switch {
		case err == nil:
			r.ok.Add(1)
			if kill != 0 && begin > kill {
				r.okAfterKill.Add(1)
				r.recoveredAt.CompareAndSwap(0, end)
			}
			return nil
		case errors.As(err, &fe) && fe.Code == http.StatusConflict:
			r.full.Add(1) // all slots held: served, not an error
			sleep(ctx, 100*time.Millisecond, 300*time.Millisecond)
		default:
			r.errs.Add(1)
			if kill != 0 && end > kill {
				r.errsAfterKill.Add(1)
				r.mu.Lock()
				if len(r.sample) < 3 {
					r.sample = append(r.sample, err)
				}
				r.mu.Unlock()
			}
			sleep(ctx, 100*time.Millisecond, 200*time.Millisecond)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%w (last: %v)", ctx.Err(), err)
		}
	}
}

func (r *clusterRun) samples() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.sample)
}

// sleep waits a random time in [lo, hi) or until ctx ends.
func sleep(ctx context.Context, lo, hi time.Duration) {
	d := lo + time.Duration(rand.Int64N(int64(hi-lo)+1))
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// waitFor polls cond until it holds or ctx ends.
func waitFor(ctx context.Context, cond func() bool) error {
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

// history is every revision of a group's semaphore in etcd, replayed.
type history struct {
	revisions  int
	maxHolders int
	grants     map[string]int // id added to the holders
	releases   map[string]int // id removed from them
	final      Semaphore
	errs       []error // revisions that break the semaphore
}

// semaphoreHistory replays the semaphore's key from its first revision to
// the current one (the test's etcd never compacts), with a watch.
func semaphoreHistory(ctx context.Context, cli *clientv3.Client, group string) (history, error) {
	h := history{grants: map[string]int{}, releases: map[string]int{}}
	resp, err := cli.Get(ctx, key(group))
	if err != nil {
		return h, err
	}
	if len(resp.Kvs) == 0 {
		return h, fmt.Errorf("no semaphore of group %s in etcd", group)
	}
	last := resp.Kvs[0].ModRevision
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var prev []string
	for wr := range cli.Watch(wctx, key(group), clientv3.WithRev(1)) {
		if err := wr.Err(); err != nil {
			return h, fmt.Errorf("watch the semaphore of group %s: %w", group, err)
		}
		for _, ev := range wr.Events {
			var sem Semaphore
			if err := json.Unmarshal(ev.Kv.Value, &sem); err != nil {
				return h, fmt.Errorf("revision %d of the semaphore: %w", ev.Kv.ModRevision, err)
			}
			h.revisions++
			h.maxHolders = max(h.maxHolders, len(sem.Holders))
			if len(sem.Holders) > sem.TotalSlots {
				h.errs = append(h.errs, fmt.Errorf("revision %d: holders %v, more than %d slots", ev.Kv.ModRevision, sem.Holders, sem.TotalSlots))
			}
			for i, id := range sem.Holders {
				if slices.Contains(sem.Holders[:i], id) {
					h.errs = append(h.errs, fmt.Errorf("revision %d: %s holds two slots: %v", ev.Kv.ModRevision, id, sem.Holders))
				}
				if !slices.Contains(prev, id) {
					h.grants[id]++
				}
			}
			for _, id := range prev {
				if !slices.Contains(sem.Holders, id) {
					h.releases[id]++
				}
			}
			prev = sem.Holders
			h.final = sem
			if ev.Kv.ModRevision >= last {
				return h, nil
			}
		}
	}
	return h, fmt.Errorf("watch of the semaphore of group %s ended before revision %d: %w", group, last, ctx.Err())
}
