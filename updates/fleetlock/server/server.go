// Package server is the FleetLock lock service (altcos-fleetlock): one
// counting semaphore per node group, kept in etcd and changed only by
// compare-and-swap transactions, so the holders survive restarts and several
// service replicas can share one etcd cluster. By default it runs on an
// embedded single-node etcd (embed.go).
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/altcos/altcos-tools/updates/fleetlock"
	"github.com/altcos/altcos-tools/updates/promtext"
)

// Server is the FleetLock HTTP service.
type Server struct {
	Store *Store
	// Groups maps each known group to its number of reboot slots; a request
	// for another group gets unknown_group.
	Groups map[string]int
	Log    *slog.Logger
	// Timeout bounds the etcd transactions of one request; 0 means 10 s.
	Timeout time.Duration
	// ReadTimeout bounds reading one request, headers and body (HTTPServer);
	// 0 means 30 s.
	ReadTimeout time.Duration

	mu       sync.Mutex
	requests map[[3]string]float64 // endpoint, group, result kind ("ok" or an error kind)
}

// Handler serves the protocol endpoints, /v1/status and /metrics.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(fleetlock.PreRebootPath, func(w http.ResponseWriter, r *http.Request) { s.serveLock(w, r, true) })
	mux.HandleFunc(fleetlock.SteadyStatePath, func(w http.ResponseWriter, r *http.Request) { s.serveLock(w, r, false) })
	mux.HandleFunc(fleetlock.StatusPath, s.serveStatus)
	mux.HandleFunc(fleetlock.MetricsPath, s.serveMetrics)
	return mux
}

func (s *Server) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

func (s *Server) ctx(r *http.Request) (context.Context, context.CancelFunc) {
	t := s.Timeout
	if t == 0 {
		t = 10 * time.Second
	}
	return context.WithTimeout(r.Context(), t)
}

func (s *Server) count(endpoint, group, result string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.requests == nil {
		s.requests = map[[3]string]float64{}
	}
	if _, ok := s.Groups[group]; !ok {
		group = "" // bounded label cardinality: unknown groups are not labels
	}
	s.requests[[3]string{endpoint, group, result}]++
}

func writeError(w http.ResponseWriter, e *fleetlock.Error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Code)
	w.Write(e.JSON())
}

// parse reads and checks a protocol request.
func parse(r *http.Request) (fleetlock.ClientParams, *fleetlock.Error) {
	bad := func(msg string) (fleetlock.ClientParams, *fleetlock.Error) {
		return fleetlock.ClientParams{}, &fleetlock.Error{Code: http.StatusBadRequest, Kind: fleetlock.KindInvalidClientIdentity, Value: msg}
	}
	if r.Method != http.MethodPost {
		return fleetlock.ClientParams{}, &fleetlock.Error{Code: http.StatusMethodNotAllowed, Kind: fleetlock.KindInvalidClientIdentity, Value: "FleetLock requests are POST"}
	}
	if r.Header.Get(fleetlock.HeaderName) != fleetlock.HeaderValue {
		return bad("missing or wrong 'fleet-lock-protocol' header")
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, fleetlock.MaxRequestBytes+1))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) || len(data) > fleetlock.MaxRequestBytes {
		return bad(fmt.Sprintf("request body larger than %d bytes; send {\"client_params\":{\"id\":ID,\"group\":GROUP}}", fleetlock.MaxRequestBytes))
	}
	if err != nil {
		return bad("read request body: " + err.Error())
	}
	var req fleetlock.Request
	if err := json.Unmarshal(data, &req); err != nil {
		return bad("request body is not FleetLock JSON: " + err.Error())
	}
	if err := req.ClientParams.Validate(); err != nil {
		return bad(err.Error())
	}
	return req.ClientParams, nil
}

func (s *Server) serveLock(w http.ResponseWriter, r *http.Request, lock bool) {
	endpoint := "steady-state"
	if lock {
		endpoint = "pre-reboot"
	}
	p, herr := parse(r)
	if herr == nil {
		herr = s.apply(r, p, lock)
	}
	if herr != nil {
		s.count(endpoint, p.Group, herr.Kind)
		s.log().Warn("fleet lock request refused", "endpoint", endpoint, "id", p.ID, "group", p.Group, "kind", herr.Kind, "err", herr.Value)
		writeError(w, herr)
		return
	}
	s.count(endpoint, p.Group, "ok")
	s.log().Info("fleet lock request done", "endpoint", endpoint, "id", p.ID, "group", p.Group)
	w.WriteHeader(http.StatusOK)
}

func (s *Server) apply(r *http.Request, p fleetlock.ClientParams, lock bool) *fleetlock.Error {
	slots, ok := s.Groups[p.Group]
	if !ok {
		// The configured groups are the operator's to tell, not any caller's.
		return &fleetlock.Error{Code: http.StatusBadRequest, Kind: fleetlock.KindUnknownGroup, Value: fmt.Sprintf("unknown group %q; ask the service's operator which group this node belongs to ([identity] group)", p.Group)}
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	if lock {
		err := s.Store.Lock(ctx, p.Group, p.ID, slots)
		switch {
		case errors.Is(err, ErrFull):
			return &fleetlock.Error{Code: http.StatusConflict, Kind: fleetlock.KindFailedLock, Value: err.Error()}
		case err != nil:
			return &fleetlock.Error{Code: http.StatusInternalServerError, Kind: fleetlock.KindFailedLock, Value: err.Error()}
		}
		return nil
	}
	if err := s.Store.Unlock(ctx, p.Group, p.ID); err != nil {
		return &fleetlock.Error{Code: http.StatusInternalServerError, Kind: fleetlock.KindFailedUnlock, Value: err.Error()}
	}
	return nil
}

func (s *Server) groupNames() []string {
	names := make([]string, 0, len(s.Groups))
	for g := range s.Groups {
		names = append(names, g)
	}
	sort.Strings(names)
	return names
}

// Status is the /v1/status answer.
type Status struct {
	Groups map[string]Semaphore `json:"groups"`
}

func (s *Server) status(r *http.Request) (Status, error) {
	ctx, cancel := s.ctx(r)
	defer cancel()
	st := Status{Groups: map[string]Semaphore{}}
	for _, g := range s.groupNames() {
		sem, err := s.Store.Get(ctx, g)
		if err != nil {
			return st, err
		}
		sem.TotalSlots = s.Groups[g]
		if sem.Holders == nil {
			sem.Holders = []string{}
		}
		st.Groups[g] = sem
	}
	return st, nil
}

func (s *Server) serveStatus(w http.ResponseWriter, r *http.Request) {
	st, err := s.status(r)
	if err != nil {
		writeError(w, &fleetlock.Error{Code: http.StatusInternalServerError, Kind: fleetlock.KindFailedSemInit, Value: err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	b, _ := json.MarshalIndent(st, "", "  ")
	w.Write(append(b, '\n'))
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	up := 1.0
	st, err := s.status(r)
	if err != nil {
		up = 0
	}
	slots := promtext.Family{Name: "fleetlock_slots", Help: "Reboot slots of a group.", Type: "gauge"}
	holders := promtext.Family{Name: "fleetlock_holders", Help: "Reboot slots held in a group.", Type: "gauge"}
	for _, g := range s.groupNames() {
		l := [][2]string{{"group", g}}
		slots.Samples = append(slots.Samples, promtext.Sample{Labels: l, Value: float64(s.Groups[g])})
		if err == nil {
			holders.Samples = append(holders.Samples, promtext.Sample{Labels: l, Value: float64(len(st.Groups[g].Holders))})
		}
	}
	reqs := promtext.Family{Name: "fleetlock_requests_total", Help: "FleetLock requests by endpoint, group and result.", Type: "counter"}
	s.mu.Lock()
	keys := make([][3]string, 0, len(s.requests))
	for k := range s.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return strings.Join(keys[i][:], "\x00") < strings.Join(keys[j][:], "\x00") })
	for _, k := range keys {
		reqs.Samples = append(reqs.Samples, promtext.Sample{Labels: [][2]string{{"endpoint", k[0]}, {"group", k[1]}, {"result", k[2]}}, Value: s.requests[k]})
	}
	s.mu.Unlock()
	upF := promtext.Family{Name: "fleetlock_store_up", Help: "Whether etcd answered this scrape.", Type: "gauge", Samples: []promtext.Sample{{Value: up}}}
	w.Header().Set("Content-Type", promtext.ContentType)
	promtext.Write(w, []promtext.Family{slots, holders, reqs, upF})
}

// HTTPServer is the lock service's HTTP server on addr: every phase of a
// connection is bounded, so a client that sends its headers or body slowly,
// or never reads the answer, does not keep a connection and a goroutine
// forever; bodies over fleetlock.MaxRequestBytes are refused.
func (s *Server) HTTPServer(addr string) *http.Server {
	read := s.ReadTimeout
	if read == 0 {
		read = 30 * time.Second
	}
	etcd := s.Timeout
	if etcd == 0 {
		etcd = 10 * time.Second
	}
	h := s.Handler()
	return &http.Server{
		Addr: addr,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Body = http.MaxBytesReader(w, r.Body, fleetlock.MaxRequestBytes)
			h.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: min(read, 10*time.Second),
		ReadTimeout:       read,
		// From the end of the headers: the body, the etcd transaction, the answer.
		WriteTimeout:   read + etcd + 10*time.Second,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
	}
}
