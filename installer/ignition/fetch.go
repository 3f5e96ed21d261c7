package ignition

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/vincent-petithory/dataurl"
)

// Options tune a fetch. The zero value fetches once, with default timeouts,
// and refuses unknown SSH host keys.
type Options struct {
	Hash     string // sha256-<hex> or sha512-<hex>; checked after any fetch
	Insecure bool   // allow plain http without a hash
	// Retries is how many times a failed network fetch (network error, HTTP
	// 408, 429, 5xx) is retried; -1 retries forever.
	Retries int
	// Backoff is the first wait between retries, doubling up to 30 s; 0 means 1 s.
	Backoff time.Duration
	// Timeout bounds each attempt; 0 means 60 s.
	Timeout  time.Duration
	CABundle string // PEM file of extra CAs for https

	KnownHosts string // known_hosts file; "" means ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts
	HostKey    string // SHA256:<base64> fingerprint the scp host must present
	// AskHostKey is asked about an unknown scp host key (a terminal is present);
	// nil refuses unknown keys, as an unattended install must.
	AskHostKey func(host, fingerprint string) (bool, error)
	// Password is asked for the scp password when the URL has none; nil: no prompt.
	Password      func(prompt string) (string, error)
	IdentityFiles []string // ssh private keys; nil means ~/.ssh/id_ed25519, id_ecdsa, id_rsa

	MaxBytes int64 // refuse bigger configs; 0 means 64 MiB
	Log      *slog.Logger
}

// FetchError is a config that could not be fetched or did not match its
// hash: the network, the server or the remote host is at fault, not the plan's syntax.
type FetchError struct {
	Source string // redacted
	Err    error
}

func (e *FetchError) Error() string { return "fetch " + e.Source + ": " + e.Err.Error() }
func (e *FetchError) Unwrap() error { return e.Err }

// Fetch reads the config at src and checks its hash. It returns the raw bytes
// (not yet validated).
func Fetch(ctx context.Context, src Source, opt Options) ([]byte, error) {
	if opt.Log == nil {
		opt.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opt.MaxBytes == 0 {
		opt.MaxBytes = 64 << 20
	}
	if opt.Timeout == 0 {
		opt.Timeout = 60 * time.Second
	}
	var check func([]byte) error
	if opt.Hash != "" {
		newHash, want, err := ParseHash(opt.Hash)
		if err != nil {
			return nil, err
		}
		check = func(b []byte) error {
			h := newHash()
			h.Write(b)
			if got := h.Sum(nil); !bytes.Equal(got, want) {
				return fmt.Errorf("hash mismatch: the config's %s is %x, --ignition-hash says %x; fix the hash or the file on the server", opt.Hash[:6], got, want)
			}
			return nil
		}
	}
	if src.Kind == HTTP && src.URL.Scheme == "http" && check == nil && !opt.Insecure {
		return nil, &InvalidError{Name: src.String(), Reason: "plain http without --ignition-hash can be altered on the way; give --ignition-hash sha256-<hex>, use https, or pass --insecure-ignition"}
	}
	var data []byte
	var err error
	switch src.Kind {
	case File:
		data, err = readFile(src.Path, opt.MaxBytes)
	case Data:
		var d *dataurl.DataURL
		d, err = dataurl.DecodeString(src.raw)
		if err == nil {
			data = d.Data
		} else {
			return nil, &InvalidError{Name: src.String(), Reason: "malformed data: URL; use data:,<url-encoded> or data:;base64,<base64>"}
		}
	case HTTP:
		data, err = fetchHTTP(ctx, src, opt)
	case SCP:
		data, err = withRetries(ctx, opt, func(ctx context.Context) ([]byte, bool, error) {
			b, err := fetchSCP(ctx, src, opt)
			return b, retryableNet(err), err
		})
	}
	if err != nil {
		return nil, &FetchError{Source: src.String(), Err: err}
	}
	if check != nil {
		if err := check(data); err != nil {
			return nil, &FetchError{Source: src.String(), Err: err}
		}
	}
	opt.Log.Info("fetched ignition config", "source", src.String(), "bytes", len(data))
	return data, nil
}

func readFile(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no such file; check the path")
		}
		return nil, err
	}
	defer f.Close()
	return readMax(f, max)
}

func readMax(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("config larger than %d bytes; serve a smaller config", max)
	}
	return b, nil
}

// withRetries runs try until it succeeds, fails for good, or the retries run out.
func withRetries(ctx context.Context, opt Options, try func(context.Context) ([]byte, bool, error)) ([]byte, error) {
	wait := opt.Backoff
	if wait <= 0 {
		wait = time.Second
	}
	for attempt := 0; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, opt.Timeout)
		b, retry, err := try(actx)
		timedOut := actx.Err() == context.DeadlineExceeded && ctx.Err() == nil
		cancel()
		if err == nil {
			return b, nil
		}
		if timedOut {
			err, retry = fmt.Errorf("no answer within %s; check the server, or allow retries with --fetch-retries", opt.Timeout), true
		}
		if !retry || (opt.Retries >= 0 && attempt >= opt.Retries) || ctx.Err() != nil {
			if attempt > 0 {
				err = fmt.Errorf("%w (after %d attempts)", err, attempt+1)
			}
			return nil, err
		}
		opt.Log.Warn("fetch failed, retrying", "attempt", attempt+1, "wait", wait, "err", err)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

func retryableNet(err error) bool {
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &oe) || (errors.As(err, &ne) && ne.Timeout()) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.ErrUnexpectedEOF)
}

// httpStatusError is a response other than 200.
type httpStatusError struct{ code int }

func (e httpStatusError) Error() string {
	msg := "server answered " + strconv.Itoa(e.code) + " " + http.StatusText(e.code)
	switch {
	case e.code == 404:
		msg += "; check the URL's path"
	case e.code == 401 || e.code == 403:
		msg += "; the server refuses this client, check its access rules"
	case e.code >= 500:
		msg += "; check the server"
	}
	return msg
}

// maxRedirects bounds the redirects of one fetch.
const maxRedirects = 10

// checkRedirect applies the rules of the first URL to every hop: plain http
// only with a hash (or --insecure-ignition), at most maxRedirects hops. An
// https URL redirected to http would otherwise be fetched unchecked.
func checkRedirect(req *http.Request, via []*http.Request, opt Options) error {
	to := Source{Kind: HTTP, URL: req.URL}.String()
	if len(via) > maxRedirects {
		return fmt.Errorf("more than %d redirects (the last to %s); fix the server, or give the final URL", maxRedirects, to)
	}
	if req.URL.Scheme != "https" && opt.Hash == "" && !opt.Insecure {
		return fmt.Errorf("redirected to plain http %s without --ignition-hash; plain http can be altered on the way: give --ignition-hash sha256-<hex>, make the server redirect to https, or pass --insecure-ignition", to)
	}
	return nil
}

func fetchHTTP(ctx context.Context, src Source, opt Options) ([]byte, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if opt.CABundle != "" {
		pem, err := os.ReadFile(opt.CABundle)
		if err != nil {
			return nil, fmt.Errorf("read CA bundle: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA bundle %s holds no PEM certificate; give a PEM file", opt.CABundle)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	client := &http.Client{Transport: tr, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		return checkRedirect(req, via, opt)
	}}
	defer tr.CloseIdleConnections()
	return withRetries(ctx, opt, func(ctx context.Context) ([]byte, bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, src.URL.String(), nil)
		if err != nil {
			return nil, false, urlErr(err)
		}
		req.Header.Set("Accept", "application/vnd.coreos.ignition+json;version=3.3.0, */*;q=0.1")
		resp, err := client.Do(req)
		if err != nil {
			err = urlErr(err) // *url.Error repeats the URL, which may hold credentials
			var cv *tls.CertificateVerificationError
			var ua x509.UnknownAuthorityError
			var hn x509.HostnameError
			if errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &hn) {
				return nil, false, fmt.Errorf("TLS: %v; give the server's CA with --ca-bundle or fix its certificate", err)
			}
			return nil, retryableNet(err), err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
			c := resp.StatusCode
			return nil, c == 408 || c == 429 || c >= 500, httpStatusError{c}
		}
		b, err := readMax(resp.Body, opt.MaxBytes)
		return b, err != nil && retryableNet(err), err
	})
}
