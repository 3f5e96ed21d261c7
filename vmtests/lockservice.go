package vmtests

// The lock service of the update scenario: altcos-fleetlock on the host and
// what its log says the node asked.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/altcos/altcos-tools/updates/fleetlock/server"
)

// lockService is altcos-fleetlock as the scenario runs it on the host, in
// its default mode: the lock service on an embedded single-node etcd (data
// under dir), one group "default" with one slot. Its log (JSON lines, also
// in dir/fleetlock.log) tells what the nodes asked.
type lockService struct {
	Addr   string // the HTTP address it listens on
	etcd   *server.Etcd
	client *clientv3.Client
	http   *http.Server
	store  *server.Store
	log    *lockedBuffer
}

// lockGroup is the group of the scenario's node (the agent's default).
const lockGroup = "default"

// startLockService starts the lock service on listen.
func startLockService(ctx context.Context, dir, listen string) (*lockService, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(dir, "fleetlock.log"))
	if err != nil {
		return nil, err
	}
	l := &lockService{log: &lockedBuffer{file: logFile}}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		logFile.Close()
		return nil, fmt.Errorf("serve the lock service on %s: %w; is another altcos-fleetlock or update test running?", listen, err)
	}
	l.etcd, err = server.StartEtcd(ctx, server.EtcdConfig{Dir: filepath.Join(dir, "etcd"), ClientURL: "http://127.0.0.1:0", PeerURL: "http://127.0.0.1:0"})
	if err != nil {
		ln.Close()
		logFile.Close()
		return nil, err
	}
	l.client, err = clientv3.New(clientv3.Config{Endpoints: []string{l.etcd.Endpoint}, DialTimeout: 10 * time.Second})
	if err != nil {
		l.Close()
		ln.Close()
		return nil, err
	}
	l.store = &server.Store{Client: l.client}
	l.Addr = ln.Addr().String()
	srv := &server.Server{Store: l.store, Groups: map[string]int{lockGroup: 1}, Log: slog.New(slog.NewJSONHandler(l.log, nil))}
	l.http = srv.HTTPServer(listen)
	go l.http.Serve(ln)
	return l, nil
}

// Close stops the service and its etcd.
func (l *lockService) Close() {
	if l.http != nil {
		_ = l.http.Close()
	}
	if l.client != nil {
		_ = l.client.Close()
	}
	if l.etcd != nil {
		l.etcd.Close()
	}
	l.log.file.Close()
}

// lockEvent is one request the lock service granted.
type lockEvent struct {
	Endpoint string `json:"endpoint"` // pre-reboot (slot taken) or steady-state (slot released)
	ID       string `json:"id"`
	Time     time.Time
}

// lockEvents reads the granted requests from the service's log, in order.
func lockEvents(log []byte) []lockEvent {
	var evs []lockEvent
	for _, line := range bytes.Split(log, []byte("\n")) {
		var r struct {
			Msg  string    `json:"msg"`
			Time time.Time `json:"time"`
			lockEvent
		}
		if json.Unmarshal(line, &r) == nil && r.Msg == "fleet lock request done" {
			r.lockEvent.Time = r.Time
			evs = append(evs, r.lockEvent)
		}
	}
	return evs
}

// lockCycle finds, from event index from on, a slot taken (pre-reboot) and
// then released (steady-state) by the same node: the node's id, the two
// events and the index after the release.
func lockCycle(evs []lockEvent, from int) (taken, freed lockEvent, next int, ok bool) {
	for i := from; i < len(evs); i++ {
		if evs[i].Endpoint != "pre-reboot" {
			continue
		}
		for j := i + 1; j < len(evs); j++ {
			if evs[j].Endpoint == "steady-state" && evs[j].ID == evs[i].ID {
				return evs[i], evs[j], j + 1, true
			}
		}
		return evs[i], lockEvent{}, 0, false
	}
	return lockEvent{}, lockEvent{}, 0, false
}

// awaitCycle waits (at most timeout) until the service's log shows a slot
// taken and released after event index from, then checks in etcd that no
// node holds a slot. It returns the index after the release.
func (l *lockService) awaitCycle(ctx context.Context, env *Env, what string, from int, timeout time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	for {
		evs := lockEvents(l.log.Bytes())
		taken, freed, next, ok := lockCycle(evs, from)
		if ok {
			sem, err := l.store.Get(ctx, lockGroup)
			if err != nil {
				return 0, fmt.Errorf("read the semaphore from etcd: %w", err)
			}
			if len(sem.Holders) != 0 {
				return 0, fmt.Errorf("%s: the slot was released at %s, but etcd names holders %v", what, freed.Time.Format(time.TimeOnly), sem.Holders)
			}
			env.step("update: ok: %s: the host's altcos-fleetlock gave node %s the slot at %s and it released it at %s; etcd: no holder", what, taken.ID, taken.Time.Format(time.TimeOnly), freed.Time.Format(time.TimeOnly))
			return next, nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("%s: no slot taken and released after request %d in %s; the lock service's log:\n%s", what, from, timeout, l.log.Bytes())
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}

// lockedBuffer keeps what is written to it, and copies it to file.
type lockedBuffer struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	file *os.File
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if b.file != nil {
		_, _ = b.file.Write(p)
	}
	return len(p), nil
}

func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}
