package ignition

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBadInputIgnition: Ignition sources and fetches, each row a bad input
// and the refusal it gets; no error shows a password or a query string.
func TestBadInputIgnition(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, ign33) }))
	defer plain.Close()
	secure, ca := tlsServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+"/c.ign?token=SECRETTOKEN", http.StatusFound)
	})
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.ign")
	os.WriteFile(cfg, []byte(ign33), 0o600)

	for _, tc := range []struct {
		name, src string
		opt       Options
		want      string
	}{
		{"empty", "", Options{}, "empty; give a path or a URL"},
		{"control character", "/a\nb", Options{}, "contains a control character"},
		{"unknown scheme", "tftp://h/c.ign", Options{}, `unsupported scheme "tftp"`},
		{"no host", "https:///c.ign", Options{}, "URL without a host"},
		{"bad port", "https://h:99999/c.ign", Options{}, `URL port "99999" is not 1-65535`},
		{"remote file URL", "file://other/c.ign", Options{}, "file:// URLs are local"},
		{"scp password", "root:S3cr3tPw@10.0.2.2:/srv/c.ign", Options{}, "passwords are not taken from the command line"},
		{"scp two @", "root@S3cr3tPw@10.0.2.2:/srv/c.ign", Options{}, "a second @ in the login"},
		{"scp without path", "scp://u@h/", Options{}, "scp URL without a file path"},
		{"host:path", "h:c.ign", Options{}, "looks like host:path"},
		{"plain http", plain.URL + "/c.ign", Options{}, "plain http without --ignition-hash can be altered on the way"},
		{"redirect to plain http", secure.URL + "/c.ign", Options{CABundle: ca}, "redirected to plain http " + plain.URL + "/c.ign?... without --ignition-hash"},
		{"unknown CA", secure.URL + "/c.ign", Options{}, "TLS: "},
		{"hash form", cfg, Options{Hash: "md5-abc"}, "unknown form; use sha256-<hex> or sha512-<hex>"},
		{"hash length", cfg, Options{Hash: "sha256-abcd"}, "sha256 needs 64 hex digits"},
		{"hash mismatch", cfg, Options{Hash: sha256Of("other")}, "hash mismatch"},
		{"too big", cfg, Options{MaxBytes: 10}, "config larger than 10 bytes"},
		{"missing file", filepath.Join(dir, "none.ign"), Options{}, "no such file; check the path"},
		{"bad data URL", "data:;base64,!!!", Options{}, "malformed data: URL"},
	} {
		var err error
		src, perr := ParseSource(tc.src)
		if err = perr; err == nil {
			tc.opt.Backoff, tc.opt.Timeout = time.Millisecond, 5*time.Second
			_, err = Fetch(context.Background(), src, tc.opt)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: ParseSource+Fetch(%q) error = %v, want one containing %q", tc.name, tc.src, err, tc.want)
		}
		if err != nil && (strings.Contains(err.Error(), "S3cr3tPw") || strings.Contains(err.Error(), "SECRETTOKEN")) {
			t.Errorf("%s: error %q shows a secret", tc.name, err)
		}
	}
}
