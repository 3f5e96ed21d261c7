package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/altcos/altcos-tools/updates/fleetlock"
)

// service is a lock service on an embedded etcd with its data in dir.
type service struct {
	etcd *Etcd
	cli  *clientv3.Client
	http *httptest.Server
	srv  *Server
	url  string
}

func startService(t *testing.T, dir string, groups map[string]int) *service {
	t.Helper()
	e, err := StartEtcd(context.Background(), EtcdConfig{Dir: dir, ClientURL: "http://127.0.0.1:0", PeerURL: "http://127.0.0.1:0", LogLevel: "panic"})
	if err != nil {
		t.Fatalf("StartEtcd(%s) = %v", dir, err)
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{e.Endpoint}})
	if err != nil {
		e.Close()
		t.Fatal(err)
	}
	srv := &Server{Store: &Store{Client: cli}, Groups: groups}
	s := &service{etcd: e, cli: cli, srv: srv, http: httptest.NewServer(srv.Handler())}
	s.url = s.http.URL
	t.Cleanup(s.stop)
	return s
}

func (s *service) stop() {
	if s.http == nil {
		return
	}
	s.http.Close()
	s.cli.Close()
	s.etcd.Close()
	s.http = nil
}

func (s *service) client(id, group string) *fleetlock.Client {
	return &fleetlock.Client{BaseURL: s.url, Params: fleetlock.ClientParams{ID: id, Group: group}}
}

func (s *service) status(t *testing.T) Status {
	t.Helper()
	resp, err := s.http.Client().Get(s.http.URL + fleetlock.StatusPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatalf("decode /v1/status: %v", err)
	}
	return st
}

func kindOf(err error) string {
	var e *fleetlock.Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

func TestConcurrentLocksNeverExceedSlots(t *testing.T) {
	const slots, nodes = 3, 24
	s := startService(t, t.TempDir(), map[string]int{"workers": slots})
	var inside, maxInside, full atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, nodes)
	ctx := context.Background()
	for i := 0; i < nodes; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := s.client(fmt.Sprintf("node-%02d", i), "workers")
			for {
				err := c.Lock(ctx)
				if kindOf(err) == fleetlock.KindFailedLock {
					full.Add(1)
					continue // all slots held: ask again, as an agent would after its backoff
				}
				if err != nil {
					errs <- err
					return
				}
				break
			}
			n := inside.Add(1)
			for {
				m := maxInside.Load()
				if n <= m || maxInside.CompareAndSwap(m, n) {
					break
				}
			}
			// Recursive: asking again while holding keeps the one slot.
			if err := c.Lock(ctx); err != nil {
				errs <- fmt.Errorf("recursive lock: %w", err)
			}
			inside.Add(-1)
			if err := c.Unlock(ctx); err != nil {
				errs <- err
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if m := maxInside.Load(); m > slots || m < 1 {
		t.Errorf("at most %d nodes held the lock at once, want 1..%d", m, slots)
	}
	if h := s.status(t).Groups["workers"].Holders; len(h) != 0 {
		t.Errorf("holders after all unlocked = %v, want none", h)
	}
	t.Logf("%d nodes, %d slots: max %d at once, %d refusals", nodes, slots, maxInside.Load(), full.Load())
	// All N slots are usable, and not one more.
	for i := 0; i < slots; i++ {
		if err := s.client(fmt.Sprintf("holder-%d", i), "workers").Lock(ctx); err != nil {
			t.Errorf("lock slot %d of %d = %v", i+1, slots, err)
		}
	}
	if err := s.client("one-too-many", "workers").Lock(ctx); kindOf(err) != fleetlock.KindFailedLock {
		t.Errorf("lock with all %d slots held = %v, want failed_lock", slots, err)
	}
}

func TestRecursiveAndOwned(t *testing.T) {
	s := startService(t, t.TempDir(), map[string]int{"default": 1})
	ctx := context.Background()
	a, b := s.client("a", "default"), s.client("b", "default")
	for i := 0; i < 2; i++ {
		if err := a.Lock(ctx); err != nil {
			t.Fatalf("a.Lock() #%d = %v", i+1, err)
		}
	}
	if h := s.status(t).Groups["default"].Holders; len(h) != 1 || h[0] != "a" {
		t.Errorf("holders = %v, want [a]", h)
	}
	if err := b.Lock(ctx); kindOf(err) != fleetlock.KindFailedLock {
		t.Errorf("b.Lock() = %v, want failed_lock", err)
	}
	// b cannot release a's slot: unlock is only for the holder.
	if err := b.Unlock(ctx); err != nil {
		t.Errorf("b.Unlock() = %v, want nil (not held)", err)
	}
	if err := b.Lock(ctx); kindOf(err) != fleetlock.KindFailedLock {
		t.Errorf("b.Lock() after b.Unlock() = %v, want failed_lock", err)
	}
	if err := a.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Lock(ctx); err != nil {
		t.Errorf("b.Lock() after a.Unlock() = %v", err)
	}
}

func TestHoldersSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	groups := map[string]int{"default": 2}
	ctx := context.Background()
	s := startService(t, dir, groups)
	for _, id := range []string{"a", "b"} {
		if err := s.client(id, "default").Lock(ctx); err != nil {
			t.Fatal(err)
		}
	}
	s.stop()
	if err := s.client("c", "default").Lock(ctx); err == nil {
		t.Fatal("Lock() with the service down = nil error")
	}
	s2 := startService(t, dir, groups)
	if h := s2.status(t).Groups["default"].Holders; strings.Join(h, ",") != "a,b" {
		t.Errorf("holders after restart = %v, want [a b]", h)
	}
	if err := s2.client("c", "default").Lock(ctx); kindOf(err) != fleetlock.KindFailedLock {
		t.Errorf("c.Lock() after restart = %v, want failed_lock (slots still held)", err)
	}
	if err := s2.client("a", "default").Lock(ctx); err != nil {
		t.Errorf("a.Lock() after restart = %v, want nil (a holds a slot)", err)
	}
}

// TestZincatiShapedRequest sends the request of zincati's FleetLock protocol
// document byte for byte (its curl example: POST, form content type from
// curl -d, the fleet-lock-protocol header, the documented body).
func TestZincatiShapedRequest(t *testing.T) {
	s := startService(t, t.TempDir(), map[string]int{"default": 1})
	body := "\n{\n  \"client_params\": {\n    \"group\": \"default\",\n    \"id\": \"c988d2509fdf5cdcbed39037c56406fb\"\n  }\n}\n\n"
	post := func(path, id string) (int, string) {
		b := strings.Replace(body, "c988d2509fdf5cdcbed39037c56406fb", id, 1)
		req, _ := http.NewRequest(http.MethodPost, s.http.URL+path, strings.NewReader(b))
		req.Header.Set("fleet-lock-protocol", "true")
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := s.http.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out)
	}
	if code, out := post(fleetlock.PreRebootPath, "c988d2509fdf5cdcbed39037c56406fb"); code != 200 {
		t.Fatalf("pre-reboot = %d %s, want 200", code, out)
	}
	code, out := post(fleetlock.PreRebootPath, "0000d2509fdf5cdcbed39037c5640000")
	var e fleetlock.Error
	if code != http.StatusConflict || json.Unmarshal([]byte(out), &e) != nil || e.Kind != fleetlock.KindFailedLock || e.Value == "" {
		t.Errorf("second node pre-reboot = %d %s, want 409 {\"kind\":\"failed_lock\",...}", code, out)
	}
	if code, out := post(fleetlock.SteadyStatePath, "c988d2509fdf5cdcbed39037c56406fb"); code != 200 {
		t.Fatalf("steady-state = %d %s, want 200", code, out)
	}
	if code, out := post(fleetlock.PreRebootPath, "0000d2509fdf5cdcbed39037c5640000"); code != 200 {
		t.Errorf("second node pre-reboot after release = %d %s, want 200", code, out)
	}
}

// TestBadInputFleetLockRequests: FleetLock requests, each row a bad one and
// the answer: status, error kind and a substring of its value; none changes
// the semaphore, and none shows a configured group.
func TestBadInputFleetLockRequests(t *testing.T) {
	s := startService(t, t.TempDir(), map[string]int{"default": 1, "secret-db-group": 1})
	good := `{"client_params":{"id":"n1","group":"default"}}`
	tests := []struct {
		name, method, header, body string
		code                       int
		kind                       string
		value                      string // a substring of the error's value
	}{
		{"id with newline", "POST", "true", `{"client_params":{"id":"n1\nholders: all","group":"default"}}`, 400, fleetlock.KindInvalidClientIdentity, `client id "n1\nholders: all" holds '\n'; want letters, digits, '.', '_', ':' and '-'`},
		{"id with NUL", "POST", "true", `{"client_params":{"id":"n1\u0000","group":"default"}}`, 400, fleetlock.KindInvalidClientIdentity, `holds '\x00'`},
		{"id with escape", "POST", "true", `{"client_params":{"id":"\u001b[2Jn1","group":"default"}}`, 400, fleetlock.KindInvalidClientIdentity, `holds '\x1b'`},
		{"id with space", "POST", "true", `{"client_params":{"id":"n 1","group":"default"}}`, 400, fleetlock.KindInvalidClientIdentity, `holds ' '`},
		{"id too long", "POST", "true", `{"client_params":{"id":"` + strings.Repeat("a", 129) + `","group":"default"}}`, 400, fleetlock.KindInvalidClientIdentity, "client id longer than 128 bytes"},
		{"unknown group", "POST", "true", `{"client_params":{"id":"n1","group":"db"}}`, 400, fleetlock.KindUnknownGroup, `unknown group "db"; ask the service's operator which group this node belongs to`},
		{"no header", "POST", "", good, 400, fleetlock.KindInvalidClientIdentity, "missing or wrong 'fleet-lock-protocol' header"},
		{"wrong header", "POST", "yes", good, 400, fleetlock.KindInvalidClientIdentity, "missing or wrong 'fleet-lock-protocol' header"},
		{"garbage body", "POST", "true", "\x00\xffnot json", 400, fleetlock.KindInvalidClientIdentity, "request body is not FleetLock JSON"},
		{"body too large", "POST", "true", strings.Repeat(" ", fleetlock.MaxRequestBytes+1), 400, fleetlock.KindInvalidClientIdentity, "request body larger than 65536 bytes"},
		{"empty id", "POST", "true", `{"client_params":{"id":"","group":"default"}}`, 400, fleetlock.KindInvalidClientIdentity, "empty client id"},
		{"bad group", "POST", "true", `{"client_params":{"id":"n1","group":"a/b"}}`, 400, fleetlock.KindInvalidClientIdentity, `client group "a/b" does not match ^[a-zA-Z0-9.-]+$`},
		{"airlock's old field name", "POST", "true", `{"client_params":{"node_uuid":"n1","group":"default"}}`, 400, fleetlock.KindInvalidClientIdentity, "empty client id"},
		{"GET", "GET", "true", "", 405, fleetlock.KindInvalidClientIdentity, "FleetLock requests are POST"},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, s.http.URL+fleetlock.PreRebootPath, strings.NewReader(tt.body))
		if tt.header != "" {
			req.Header.Set(fleetlock.HeaderName, tt.header)
		}
		resp, err := s.http.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e fleetlock.Error
		err = json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != tt.code || err != nil || e.Kind != tt.kind || e.Value == "" || !strings.Contains(e.Value, tt.value) {
			t.Errorf("%s: got %d %+v (%v), want %d kind %s value containing %q", tt.name, resp.StatusCode, e, err, tt.code, tt.kind, tt.value)
		}
		if strings.Contains(e.Value, "secret-db-group") {
			t.Errorf("%s: error %q shows a configured group to any caller", tt.name, e.Value)
		}
	}
	if h := s.status(t).Groups["default"].Holders; len(h) != 0 {
		t.Errorf("holders after bad requests = %v, want none", h)
	}
	resp, err := s.http.Client().Get(s.http.URL + fleetlock.MetricsPath)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`fleetlock_slots{group="default"} 1`, `fleetlock_holders{group="default"} 0`,
		`fleetlock_requests_total{endpoint="pre-reboot",group="",result="unknown_group"} 1`, "fleetlock_store_up 1"} {
		if !strings.Contains(string(m), want) {
			t.Errorf("/metrics lacks %q:\n%s", want, m)
		}
	}
}
