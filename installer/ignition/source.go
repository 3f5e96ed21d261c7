package ignition

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Kind is the transport of a Source.
type Kind int

// The kinds of sources.
const (
	File Kind = iota
	HTTP      // http:// or https://
	SCP       // scp://user@host[:port]/path or user@host:path
	Data      // data: URL (RFC 2397)
)

func (k Kind) String() string {
	return [...]string{"file", "http", "scp", "data"}[k]
}

// Source is where a config comes from.
type Source struct {
	Kind Kind
	// Path is the local path (File) or the remote path (SCP).
	Path string
	// URL is the parsed URL for HTTP and Data, and for scp:// URLs.
	URL *url.URL
	// User, Host and Port address an SCP source; Password is the one given
	// in the URL, if any (never shown).
	User, Host, Password string
	Port                 int
	raw                  string
}

// String shows the source without credentials, query strings or data:
// contents, so it can go into logs and errors.
func (s Source) String() string {
	switch s.Kind {
	case File:
		return s.Path
	case Data:
		return fmt.Sprintf("data: URL (%d bytes)", len(s.raw))
	case SCP:
		host := s.Host
		if s.Port != 22 {
			host = net.JoinHostPort(host, strconv.Itoa(s.Port))
		} else if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		return "scp://" + s.User + "@" + host + "/" + strings.TrimPrefix(s.Path, "/")
	default:
		u := *s.URL
		u.User = nil
		if u.RawQuery != "" {
			u.RawQuery = "..."
		}
		u.Fragment = ""
		return u.String()
	}
}

// ParseSource reads a config location: a local path, file://, http(s)://,
// scp://user@host[:port]/path, user@host:path, or a data: URL.
func ParseSource(s string) (Source, error) {
	bad := func(why string) (Source, error) {
		return Source{}, &InvalidError{Name: "ignition source", Reason: why}
	}
	if s == "" {
		return bad("empty; give a path or a URL")
	}
	if strings.ContainsAny(s, "\x00\n\r") {
		return bad("contains a control character; give a path or a URL")
	}
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(lower, "data:"):
		u, err := url.Parse(s)
		if err != nil || !strings.Contains(s, ",") {
			return bad("malformed data: URL; use data:,<url-encoded config> or data:;base64,<base64>")
		}
		return Source{Kind: Data, URL: u, raw: s}, nil
	case strings.HasPrefix(lower, "file://"):
		u, err := url.Parse(s)
		if err != nil {
			return bad(fmt.Sprintf("malformed file URL: %v", urlErr(err)))
		}
		if u.Host != "" && u.Host != "localhost" {
			return bad(fmt.Sprintf("file URL names host %q; file:// URLs are local, use scp:// or https:// for another host", u.Host))
		}
		if u.Path == "" {
			return bad("file URL without a path; use file:///path/to/config.ign")
		}
		return Source{Kind: File, Path: u.Path, raw: s}, nil
	case strings.HasPrefix(lower, "http://"), strings.HasPrefix(lower, "https://"):
		u, err := url.Parse(s)
		if err != nil {
			return bad(fmt.Sprintf("malformed URL: %v", urlErr(err)))
		}
		if u.Host == "" || u.Hostname() == "" {
			return bad("URL without a host; use https://host/path")
		}
		if p := u.Port(); p != "" {
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				return bad(fmt.Sprintf("URL port %q is not 1-65535", p))
			}
		}
		return Source{Kind: HTTP, URL: u, raw: s}, nil
	case strings.HasPrefix(lower, "scp://"):
		u, err := url.Parse(s)
		if err != nil {
			return bad(fmt.Sprintf("malformed scp URL: %v", urlErr(err)))
		}
		src := Source{Kind: SCP, URL: u, Host: u.Hostname(), Port: 22, raw: s}
		if u.User != nil {
			src.User = u.User.Username()
			src.Password, _ = u.User.Password()
		}
		if src.User == "" || src.Host == "" {
			return bad("scp URL needs a user and a host; use scp://user@host[:port]/path")
		}
		if p := u.Port(); p != "" {
			n, err := strconv.Atoi(p)
			if err != nil || n < 1 || n > 65535 {
				return bad(fmt.Sprintf("scp port %q is not 1-65535", p))
			}
			src.Port = n
		}
		// scp://host/~/x is relative to the user's home, as in scp's URI draft.
		src.Path = strings.TrimPrefix(u.Path, "/~/")
		if strings.Trim(src.Path, "/") == "" {
			return bad("scp URL without a file path; use scp://user@host/path/to/config.ign")
		}
		return src, nil
	case strings.Contains(s, "://"):
		scheme := s[:strings.Index(s, "://")]
		return bad(fmt.Sprintf("unsupported scheme %q; use a path, file://, http(s)://, scp:// or data:", scheme))
	}
	// user@host:path, as scp(1) reads it: a colon before any slash (a
	// bracketed IPv6 host may hold colons), and an @ before the host.
	if at := strings.IndexByte(s, '@'); at > 0 && !strings.Contains(s[:at], "/") {
		rest := s[at+1:]
		var host, path string
		if strings.HasPrefix(rest, "[") {
			end := strings.Index(rest, "]:")
			if end < 0 {
				return bad("malformed [IPv6] host; use user@[addr]:path")
			}
			host, path = rest[1:end], rest[end+2:]
		} else if colon := strings.IndexByte(rest, ':'); colon >= 0 && !strings.Contains(rest[:colon], "/") {
			host, path = rest[:colon], rest[colon+1:]
		} else {
			return Source{Kind: File, Path: s, raw: s}, nil
		}
		// The error must not repeat what is before the last @: it may be a password.
		if strings.Contains(s[:at], ":") || strings.Contains(host, "@") {
			return bad("user@host:path with a password (user:PASSWORD@host) or a second @ in the login; passwords are not taken from the command line: log in with an ssh key (~/.ssh/id_ed25519, id_ecdsa or id_rsa), or use scp://user@host/path and type the password when asked")
		}
		if host == "" {
			return bad("scp source without a host; use user@host:path")
		}
		if path == "" {
			return bad("scp source without a file path; use user@host:path/to/config.ign")
		}
		return Source{Kind: SCP, User: s[:at], Host: host, Port: 22, Path: path, raw: s}, nil
	}
	if colon := strings.IndexByte(s, ':'); colon > 0 && !strings.Contains(s[:colon], "/") {
		return bad("looks like host:path; use user@host:path for scp, or ./name for a local file")
	}
	return Source{Kind: File, Path: s, raw: s}, nil
}

// urlErr drops the URL from url.Parse's errors, which may hold credentials.
func urlErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// ParseHash reads "sha256-<hex>" or "sha512-<hex>".
func ParseHash(s string) (func() hash.Hash, []byte, error) {
	algo, hexsum, ok := strings.Cut(s, "-")
	var h func() hash.Hash
	var n int
	switch algo {
	case "sha256":
		h, n = sha256.New, sha256.Size
	case "sha512":
		h, n = sha512.New, sha512.Size
	}
	if !ok || h == nil {
		return nil, nil, &InvalidError{Name: "ignition hash", Reason: "unknown form; use sha256-<hex> or sha512-<hex>"}
	}
	sum, err := hex.DecodeString(hexsum)
	if err != nil || len(sum) != n {
		return nil, nil, &InvalidError{Name: "ignition hash", Reason: fmt.Sprintf("%s needs %d hex digits; check the value (sha%ssum prints it)", algo, 2*n, algo[3:])}
	}
	return h, sum, nil
}
