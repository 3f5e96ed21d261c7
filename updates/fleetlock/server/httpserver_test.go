package server

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/altcos/altcos-tools/updates/fleetlock"
)

// TestSlowBodyClosed: a client that sends its body a byte at a time does not
// keep its connection (and the goroutine serving it) open: the server's
// ReadTimeout ends it.
func TestSlowBodyClosed(t *testing.T) {
	srv := &Server{Groups: map[string]int{"default": 1}, ReadTimeout: 300 * time.Millisecond}
	hs := srv.HTTPServer("127.0.0.1:0")
	if def := (&Server{}).HTTPServer(":0"); def.ReadHeaderTimeout == 0 || def.ReadTimeout == 0 || def.WriteTimeout == 0 || def.IdleTimeout == 0 {
		t.Errorf("HTTPServer() timeouts: header %v, read %v, write %v, idle %v; want all set", def.ReadHeaderTimeout, def.ReadTimeout, def.WriteTimeout, def.IdleTimeout)
	}
	ln, err := net.Listen("tcp", hs.Addr)
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(ln)
	defer hs.Close()

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\n%s: true\r\nContent-Length: 1000\r\n\r\n{", fleetlock.PreRebootPath, fleetlock.HeaderName)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				if _, err := conn.Write([]byte(" ")); err != nil {
					return
				}
			}
		}
	}()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("the server kept a slow-body connection open for 5 s")
	}
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("slow body: HTTP %d, want 400", resp.StatusCode)
		}
	}
	// The connection is closed: a read ends (EOF or reset) before the deadline.
	_, err = conn.Read(make([]byte, 1))
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Error("the server answered but kept the slow-body connection open")
	}
}

// TestBodyTooLarge: a body over fleetlock.MaxRequestBytes is refused, named.
func TestBodyTooLarge(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := (&Server{Groups: map[string]int{"default": 1}}).HTTPServer(ln.Addr().String())
	go hs.Serve(ln)
	defer hs.Close()
	body := `{"client_params":{"id":"n1","group":"default"},"pad":"` + string(make([]byte, fleetlock.MaxRequestBytes)) + `"}`
	req, _ := http.NewRequest(http.MethodPost, "http://"+ln.Addr().String()+fleetlock.PreRebootPath, strings.NewReader(body))
	req.Header.Set(fleetlock.HeaderName, fleetlock.HeaderValue)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "request body larger than 65536 bytes") {
		t.Errorf("big body: HTTP %d %s, want 400 naming the limit", resp.StatusCode, b)
	}
}
