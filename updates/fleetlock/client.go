package fleetlock

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Client talks to a FleetLock service for one node.
type Client struct {
	BaseURL string
	Params  ClientParams
	HTTP    *http.Client
}

// Lock takes a reboot slot (pre-reboot).
func (c *Client) Lock(ctx context.Context) error { return c.post(ctx, PreRebootPath) }

// Unlock releases the node's slot if it holds one (steady-state).
func (c *Client) Unlock(ctx context.Context) error { return c.post(ctx, SteadyStatePath) }

func (c *Client) post(ctx context.Context, path string) error {
	u, err := url.Parse(strings.TrimRight(c.BaseURL, "/") + path)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("fleet lock base URL %q is not an http(s) URL; set [updates.fleet_lock] base_url", c.BaseURL)
	}
	body, err := json.Marshal(Request{ClientParams: c.Params})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set(HeaderName, HeaderValue)
	req.Header.Set("Content-Type", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("fleet lock %s: %w", u.Redacted(), err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	var e Error
	if json.Unmarshal(data, &e) == nil && e.Kind != "" {
		e.Code = resp.StatusCode
		return fmt.Errorf("fleet lock %s: HTTP %d: %w", u.Redacted(), resp.StatusCode, &e)
	}
	return fmt.Errorf("fleet lock %s: HTTP %d with a body that is not a FleetLock error: %s", u.Redacted(), resp.StatusCode, snippet(data))
}

// snippet shows at most 200 bytes of an unexpected body, printable.
func snippet(b []byte) string {
	if len(b) > 200 {
		b = b[:200]
	}
	s := strings.ToValidUTF8(string(b), string(utf8.RuneError))
	return fmt.Sprintf("%q", s)
}
