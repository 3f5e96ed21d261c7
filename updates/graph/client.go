package graph

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// MaxGraphBytes bounds a graph download; a real stream's graph is kilobytes.
const MaxGraphBytes = 16 << 20

// Query is what a node tells the graph service about itself, with
// zincati's parameter names: basearch, stream, node_uuid, rollout_wariness,
// group, platform, os_version and os_checksum (empty ones are left out).
type Query struct {
	Basearch   string
	Stream     string
	NodeUUID   string   // optional
	Wariness   *float64 // optional rollout_wariness, 0.0 to 1.0
	Group      string   // [identity] group
	Platform   string   // ignition.platform.id (metal, qemu, ...)
	OSVersion  string   // the running release's version
	OSChecksum string   // the running release's commit
}

// URL is the graph request for base (the Cincinnati base URL).
func URL(base string, q Query) (string, error) {
	u, err := url.Parse(strings.TrimRight(base, "/") + "/v1/graph")
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("update graph base URL %q is not an http(s) URL; set [cincinnati] base_url", base)
	}
	v := url.Values{}
	v.Set("basearch", q.Basearch)
	v.Set("stream", q.Stream)
	if q.NodeUUID != "" {
		v.Set("node_uuid", q.NodeUUID)
	}
	if q.Wariness != nil {
		v.Set("rollout_wariness", strconv.FormatFloat(*q.Wariness, 'f', -1, 64))
	}
	for k, x := range map[string]string{"group": q.Group, "platform": q.Platform, "os_version": q.OSVersion, "os_checksum": q.OSChecksum} {
		if x != "" {
			v.Set(k, x)
		}
	}
	u.RawQuery = v.Encode()
	return u.String(), nil
}

// FetchTimeout bounds one graph request made with the default client: a
// server that accepts the connection and never answers must not hang the
// agent's check forever.
const FetchTimeout = 60 * time.Second

// DefaultClient is the HTTP client Fetch uses when given none.
func DefaultClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout}
}

// Fetch downloads and parses the graph of q's stream from base. A nil hc
// means DefaultClient(FetchTimeout).
func Fetch(ctx context.Context, hc *http.Client, base string, q Query) (*Graph, error) {
	if hc == nil {
		hc = DefaultClient(FetchTimeout)
	}
	u, err := URL(base, q)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch update graph: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch update graph %s: HTTP %s", redact(u), resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxGraphBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fetch update graph %s: %w", redact(u), err)
	}
	if len(data) > MaxGraphBytes {
		return nil, fmt.Errorf("fetch update graph %s: larger than %d bytes", redact(u), MaxGraphBytes)
	}
	g, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("from %s: %w", redact(u), err)
	}
	return g, nil
}

// redact drops URL credentials before a URL goes into an error or a log.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "<unparsable URL>"
	}
	return u.Redacted()
}
