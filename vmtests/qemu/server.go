package qemu

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// GuestHost is the host as QEMU user networking shows it to the guest.
const GuestHost = "10.0.2.2"

// Server is a loopback HTTP server for the guest: Ignition configs, images,
// updates. QEMU's user networking forwards the guest's 10.0.2.2 to the host's
// 127.0.0.1, so nothing listens beyond this machine.
type Server struct {
	Port int

	mu    sync.Mutex
	files map[string][]byte
	hits  map[string]int
	srv   *http.Server
}

// Serve starts a server of files (URL path without the leading slash -> body).
func Serve(log *slog.Logger, files map[string][]byte) (*Server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen on loopback for the guest: %w", err)
	}
	s := &Server{Port: l.Addr().(*net.TCPAddr).Port, files: map[string][]byte{}, hits: map[string]int{}}
	for k, v := range files {
		s.files[k] = v
	}
	s.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/")
		s.mu.Lock()
		body, ok := s.files[name]
		s.hits[name]++
		s.mu.Unlock()
		if log != nil {
			log.Info("guest fetched", "path", r.URL.Path, "found", ok)
		}
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(body)
	}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(l) }()
	return s, nil
}

// Put adds or replaces a file.
func (s *Server) Put(name string, body []byte) {
	s.mu.Lock()
	s.files[name] = body
	s.mu.Unlock()
}

// Hits is how many times the guest asked for name.
func (s *Server) Hits(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[name]
}

// GuestURL is name's URL as the guest reaches it.
func (s *Server) GuestURL(name string) string {
	return fmt.Sprintf("http://%s:%d/%s", GuestHost, s.Port, name)
}

// Close stops the server.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}
