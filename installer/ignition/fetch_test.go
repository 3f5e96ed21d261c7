package ignition

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func sha256Of(b string) string {
	s := sha256.Sum256([]byte(b))
	return "sha256-" + hex.EncodeToString(s[:])
}

func fetchString(t *testing.T, src string, opt Options) (string, error) {
	t.Helper()
	s, err := ParseSource(src)
	if err != nil {
		t.Fatalf("ParseSource(%q) error %v", src, err)
	}
	if opt.Backoff == 0 {
		opt.Backoff = time.Millisecond
	}
	b, err := Fetch(context.Background(), s, opt)
	return string(b), err
}

func TestFetchLocal(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.ign")
	os.WriteFile(p, []byte(ign33), 0o600)
	s512 := sha512.Sum512([]byte(ign33))
	for _, tc := range []struct {
		src, hash, want, wantErr string
	}{
		{p, "", ign33, ""},
		{"file://" + p, sha256Of(ign33), ign33, ""},
		{p, "sha512-" + hex.EncodeToString(s512[:]), ign33, ""},
		{p, sha256Of("other"), "", "hash mismatch"},
		{filepath.Join(dir, "none.ign"), "", "", "no such file"},
		{"data:,%7B%22a%22%3A1%7D", "", `{"a":1}`, ""},
		{"data:;base64,eyJhIjoxfQ==", "", `{"a":1}`, ""},
		{"data:;base64,!!!", "", "", "malformed data: URL"},
	} {
		got, err := fetchString(t, tc.src, Options{Hash: tc.hash})
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Fetch(%q, hash %q) error = %v, want containing %q", tc.src, tc.hash, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Fetch(%q) = %q, %v, want %q", tc.src, got, err, tc.want)
		}
	}
}

func TestFetchHTTP(t *testing.T) {
	var flaky atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/c.ign", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, ign33) })
	mux.HandleFunc("/flaky.ign", func(w http.ResponseWriter, r *http.Request) {
		if flaky.Add(1) < 3 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, ign33)
	})
	mux.HandleFunc("/always503", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "busy", http.StatusServiceUnavailable) })
	mux.HandleFunc("/slow429", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "slow down", http.StatusTooManyRequests) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	// A port nothing listens on: a listener opened and closed.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + l.Addr().String() + "/c.ign"
	l.Close()

	for _, tc := range []struct {
		name, src string
		opt       Options
		want      string
		wantErr   string
		fetchErr  bool // a *FetchError, not an *InvalidError
	}{
		{"hash ok", srv.URL + "/c.ign", Options{Hash: sha256Of(ign33)}, ign33, "", false},
		{"insecure ok", srv.URL + "/c.ign", Options{Insecure: true}, ign33, "", false},
		{"http without hash", srv.URL + "/c.ign", Options{}, "", "plain http without --ignition-hash", false},
		{"wrong hash", srv.URL + "/c.ign", Options{Hash: sha256Of("x")}, "", "hash mismatch", true},
		{"404", srv.URL + "/missing.ign", Options{Insecure: true, Retries: 3}, "", "404 Not Found; check the URL's path", true},
		{"503 then ok", srv.URL + "/flaky.ign", Options{Insecure: true, Retries: 5}, ign33, "", false},
		{"503 retries run out", srv.URL + "/always503", Options{Insecure: true, Retries: 2}, "", "503 Service Unavailable; check the server (after 3 attempts)", true},
		{"429 no retries", srv.URL + "/slow429", Options{Insecure: true}, "", "429", true},
		{"unreachable", dead, Options{Insecure: true, Retries: 1}, "", "connection refused", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := fetchString(t, tc.src, tc.opt)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Fetch(%q) error = %v, want containing %q", tc.src, err, tc.wantErr)
				}
				var fe *FetchError
				if errors.As(err, &fe) != tc.fetchErr {
					t.Errorf("Fetch(%q) error %T, want FetchError %v", tc.src, err, tc.fetchErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Fetch(%q) = %q, %v, want %q", tc.src, got, err, tc.want)
			}
		})
	}
}

// newCA makes a CA and a 127.0.0.1 server certificate signed by it; it
// returns the CA's PEM and the server's TLS certificate.
func newCA(t *testing.T) ([]byte, tls.Certificate) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// tlsServer starts an https server on 127.0.0.1 with a certificate of a new
// CA, closed when the test ends; ca is the path of the CA's PEM file.
func tlsServer(t *testing.T, h http.HandlerFunc) (srv *httptest.Server, ca string) {
	t.Helper()
	caPEM, cert := newCA(t)
	srv = httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // no log of the clients that refuse the certificate
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, caPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	return srv, ca
}

func TestFetchHTTPSCustomCA(t *testing.T) {
	srv, ca := tlsServer(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, ign33) })
	otherPEM, _ := newCA(t)
	dir := t.TempDir()
	otherCA := filepath.Join(dir, "other.pem")
	os.WriteFile(otherCA, otherPEM, 0o644)
	notPEM := filepath.Join(dir, "bad.pem")
	os.WriteFile(notPEM, []byte("nope"), 0o644)

	got, err := fetchString(t, srv.URL+"/c.ign", Options{CABundle: ca})
	if err != nil || got != ign33 {
		t.Fatalf("Fetch(https, custom CA) = %q, %v, want the config", got, err)
	}
	// https needs no hash; a wrong one still fails.
	if _, err := fetchString(t, srv.URL+"/c.ign", Options{CABundle: ca, Hash: sha256Of("x")}); err == nil || !strings.Contains(err.Error(), "hash mismatch") {
		t.Errorf("Fetch(https, wrong hash) error = %v, want hash mismatch", err)
	}
	for _, tc := range []struct {
		name string
		opt  Options
		want string
	}{
		{"no CA", Options{Retries: 3}, "TLS: "},
		{"other CA", Options{CABundle: otherCA, Retries: 3}, "--ca-bundle"},
		{"bundle not PEM", Options{CABundle: notPEM}, "holds no PEM certificate"},
	} {
		_, err := fetchString(t, srv.URL+"/c.ign", tc.opt)
		var fe *FetchError
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &fe) {
			t.Errorf("Fetch(https, %s) error = %v, want a FetchError containing %q", tc.name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "attempts") {
			t.Errorf("Fetch(https, %s) error = %v: a TLS error must not be retried", tc.name, err)
		}
	}
}

func TestFetchNoCredentialsInErrors(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	_, err := fetchString(t, "https://user:SECRETPW@"+addr+"/c.ign?token=SECRETTOKEN", Options{})
	if err == nil {
		t.Fatal("Fetch(dead https) error nil, want an error")
	}
	if strings.Contains(err.Error(), "SECRETPW") || strings.Contains(err.Error(), "SECRETTOKEN") {
		t.Errorf("Fetch error %q shows URL credentials", err)
	}
}

func TestFetchHTTPTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	_, err := fetchString(t, srv.URL+"/slow.ign", Options{Insecure: true, Timeout: 50 * time.Millisecond, Retries: 1})
	var fe *FetchError
	if err == nil || !errors.As(err, &fe) || !strings.Contains(err.Error(), "no answer within 50ms; check the server, or allow retries with --fetch-retries (after 2 attempts)") {
		t.Errorf("Fetch(server that never answers) error = %v, want a FetchError after 2 attempts", err)
	}
}

// TestFetchRedirects: the plain-http rule holds on every hop, not only the
// first URL; redirects are bounded.
func TestFetchRedirects(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, ign33) }))
	defer plain.Close()
	var tlsURL string
	tlsSrv, ca := tlsServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/down.ign": // https -> http
			http.Redirect(w, r, plain.URL+"/c.ign?token=SECRETTOKEN", http.StatusFound)
		case "/loop.ign":
			http.Redirect(w, r, tlsURL+"/loop.ign", http.StatusFound)
		case "/moved.ign": // https -> https
			http.Redirect(w, r, tlsURL+"/c.ign", http.StatusMovedPermanently)
		default:
			fmt.Fprint(w, ign33)
		}
	})
	tlsURL = tlsSrv.URL

	for _, tc := range []struct {
		name, src string
		opt       Options
		want      string // "" means the config is fetched
	}{
		{"https to https", tlsURL + "/moved.ign", Options{CABundle: ca}, ""},
		{"https to http", tlsURL + "/down.ign", Options{CABundle: ca, Retries: 2}, "redirected to plain http " + plain.URL + "/c.ign?... without --ignition-hash"},
		{"https to http with hash", tlsURL + "/down.ign", Options{CABundle: ca, Hash: sha256Of(ign33)}, ""},
		{"https to http insecure", tlsURL + "/down.ign", Options{CABundle: ca, Insecure: true}, ""},
		{"redirect loop", tlsURL + "/loop.ign", Options{CABundle: ca}, "more than 10 redirects"},
	} {
		got, err := fetchString(t, tc.src, tc.opt)
		if tc.want == "" {
			if err != nil || got != ign33 {
				t.Errorf("%s: Fetch(%s) = %q, %v, want the config", tc.name, tc.src, got, err)
			}
			continue
		}
		var fe *FetchError
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &fe) {
			t.Errorf("%s: Fetch(%s) = %q, %v, want a FetchError containing %q", tc.name, tc.src, got, err, tc.want)
		}
		if err != nil && (strings.Contains(err.Error(), "SECRETTOKEN") || strings.Contains(err.Error(), "attempts")) {
			t.Errorf("%s: Fetch(%s) error = %v: shows the query, or was retried", tc.name, tc.src, err)
		}
	}
}
