package graph

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// TestQueryZincatiParameters: a graph request carries zincati's
// parameters, by zincati's names, and leaves out the empty ones.
func TestQueryZincatiParameters(t *testing.T) {
	var got url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.Query()
		w.Write([]byte(`{"nodes":[],"edges":[]}`))
	}))
	defer srv.Close()
	w := 0.5
	q := Query{Basearch: "x86_64", Stream: "p10", NodeUUID: "3d1219c7c4c5404aaa1f6d2a48adfda4", Wariness: &w,
		Group: "workers", Platform: "metal", OSVersion: "p10.20261125.1.0", OSChecksum: "ab12"}
	if _, err := Fetch(context.Background(), nil, srv.URL, q); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"basearch": "x86_64", "stream": "p10", "node_uuid": "3d1219c7c4c5404aaa1f6d2a48adfda4",
		"rollout_wariness": "0.5", "group": "workers", "platform": "metal", "os_version": "p10.20261125.1.0", "os_checksum": "ab12"}
	for k, v := range want {
		if got.Get(k) != v {
			t.Errorf("query %s = %q, want %q", k, got.Get(k), v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("query = %v, want exactly %v", got, want)
	}
	if _, err := Fetch(context.Background(), nil, srv.URL, Query{Basearch: "x86_64", Stream: "p10"}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Errorf("query without the optional parameters = %v, want basearch and stream only", got)
	}
}
