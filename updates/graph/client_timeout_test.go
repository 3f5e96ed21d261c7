package graph

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestFetchSilentServerTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release // accept the request, never answer
	}))
	t.Cleanup(func() { close(release); srv.Close() })

	done := make(chan error, 1)
	go func() {
		_, err := Fetch(context.Background(), DefaultClient(200*time.Millisecond), srv.URL, Query{Basearch: "x86_64", Stream: "sisyphus"})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Fetch(silent server) = nil error, want a timeout")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Fetch(silent server) still waiting after 30s: the client has no timeout")
	}
	if DefaultClient(FetchTimeout).Timeout != FetchTimeout {
		t.Errorf("DefaultClient(FetchTimeout).Timeout = %v, want %v", DefaultClient(FetchTimeout).Timeout, FetchTimeout)
	}
}
