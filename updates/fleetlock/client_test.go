package fleetlock

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestClientAgainstBadServers(t *testing.T) {
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte("<html>502 Bad Gateway</html>"))
	}))
	defer garbage.Close()
	okGarbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(HeaderName) != "true" {
			t.Errorf("client sent %s = %q, want true", HeaderName, r.Header.Get(HeaderName))
		}
		var req Request
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.ClientParams.ID != "n1" || req.ClientParams.Group != "g" {
			t.Errorf("client sent %+v (%v)", req, err)
		}
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(`{"kind":"failed_lock","value":"etcd down"}`))
	}))
	defer okGarbage.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	ctx := context.Background()
	tests := []struct {
		name, url, wantIn string
	}{
		{"garbage", garbage.URL, "not a FleetLock error"},
		{"error value", okGarbage.URL, "etcd down"},
		{"down", down.URL, "connect"},
		{"not a URL", "fleet.example:8080", "base_url"},
	}
	for _, tt := range tests {
		c := &Client{BaseURL: tt.url, Params: ClientParams{ID: "n1", Group: "g"}}
		err := c.Lock(ctx)
		if err == nil || !strings.Contains(err.Error(), tt.wantIn) {
			t.Errorf("%s: Lock() = %v, want an error containing %q", tt.name, err, tt.wantIn)
		}
	}
}
