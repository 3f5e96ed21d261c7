package ignition

import (
	"errors"
	"strings"
	"testing"
)

func TestParseSource(t *testing.T) {
	for _, tc := range []struct {
		in         string
		kind       Kind
		user, host string
		port       int
		path       string
		shown      string
	}{
		{"/root/config.ign", File, "", "", 0, "/root/config.ign", "/root/config.ign"},
		{"config.ign", File, "", "", 0, "config.ign", "config.ign"},
		{"./a:b.ign", File, "", "", 0, "./a:b.ign", "./a:b.ign"},
		{"file:///srv/c.ign", File, "", "", 0, "/srv/c.ign", "/srv/c.ign"},
		{"file://localhost/srv/c.ign", File, "", "", 0, "/srv/c.ign", "/srv/c.ign"},
		{"https://example.com/c.ign", HTTP, "", "", 0, "", "https://example.com/c.ign"},
		{"http://u:pw@10.0.2.2:8080/c.ign?token=abc", HTTP, "", "", 0, "", "http://10.0.2.2:8080/c.ign?..."},
		{"scp://core@host/srv/c.ign", SCP, "core", "host", 22, "/srv/c.ign", "scp://core@host/srv/c.ign"},
		{"scp://core:pw@host:2222/~/c.ign", SCP, "core", "host", 2222, "c.ign", "scp://core@host:2222/c.ign"},
		{"core@host:c.ign", SCP, "core", "host", 22, "c.ign", "scp://core@host/c.ign"},
		{"core@[::1]:/srv/c.ign", SCP, "core", "::1", 22, "/srv/c.ign", "scp://core@[::1]/srv/c.ign"},
		{"data:,%7B%7D", Data, "", "", 0, "", "data: URL (12 bytes)"},
	} {
		s, err := ParseSource(tc.in)
		if err != nil {
			t.Errorf("ParseSource(%q) error %v", tc.in, err)
			continue
		}
		if s.Kind != tc.kind || s.User != tc.user || s.Host != tc.host || s.Port != tc.port || (tc.path != "" && s.Path != tc.path) {
			t.Errorf("ParseSource(%q) = %v %q@%q:%d %q, want %v %q@%q:%d %q", tc.in, s.Kind, s.User, s.Host, s.Port, s.Path, tc.kind, tc.user, tc.host, tc.port, tc.path)
		}
		if got := s.String(); got != tc.shown {
			t.Errorf("ParseSource(%q).String() = %q, want %q", tc.in, got, tc.shown)
		}
	}
}

func TestParseSourceBad(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "empty"},
		{"tftp://host/c.ign", `unsupported scheme "tftp"`},
		{"https:///c.ign", "without a host"},
		{"https://h:99999/c", "not 1-65535"},
		{"file://other/c.ign", "file:// URLs are local"},
		{"scp://host/c.ign", "needs a user and a host"},
		{"scp://u@host/", "without a file path"},
		{"host:c.ign", "user@host:path"},
		{"u@host:", "without a file path"},
		{"data:nocomma", "malformed data: URL"},
		{"a\nb", "control character"},
	} {
		_, err := ParseSource(tc.in)
		var ie *InvalidError
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &ie) {
			t.Errorf("ParseSource(%q) error = %v, want an InvalidError containing %q", tc.in, err, tc.want)
		}
	}
}

// TestParseSourceSCPPassword: user:PASSWORD@host:path is refused, and the
// refusal does not repeat the password (it would reach the dry-run plan,
// fetch errors, the ssh login error and the server's user name).
func TestParseSourceSCPPassword(t *testing.T) {
	const secret = "S3cr3tPw"
	for _, in := range []string{
		"core:" + secret + "@host:c.ign",
		"core:" + secret + "@[::1]:/srv/c.ign",
		"core:p@" + secret + "@host:c.ign",
		"core@" + secret + "@host:c.ign",
	} {
		s, err := ParseSource(in)
		if err == nil {
			t.Errorf("ParseSource(%q) = user %q, shown %q, want an error", in, s.User, s.String())
			continue
		}
		if !strings.Contains(err.Error(), "ssh key") || strings.Contains(err.Error(), secret) {
			t.Errorf("ParseSource(%q) error = %q, want one that points to ssh keys and does not show the password", in, err)
		}
	}
}

func TestParseHash(t *testing.T) {
	good := "sha256-" + strings.Repeat("ab", 32)
	if _, _, err := ParseHash(good); err != nil {
		t.Errorf("ParseHash(%q) error %v", good, err)
	}
	for _, bad := range []string{"", "md5-abc", "sha256-xyz", "sha256-" + strings.Repeat("ab", 31), "sha512-" + strings.Repeat("ab", 32), "sha256"} {
		if _, _, err := ParseHash(bad); err == nil {
			t.Errorf("ParseHash(%q) error nil, want an error", bad)
		}
	}
}

// FuzzParseSource: ParseSource never panics; what it accepts is shown
// without the password of the URL, and an scp source always has a user,
// a host, a port in range and a path.
func FuzzParseSource(f *testing.F) {
	for _, s := range []string{"/a", "file:///a", "https://h/a", "http://u:SECRETPW@h/a", "scp://u:SECRETPW@h:22/a", "u@h:a", "u@[::1]:a", "data:,{}", "x://", "scp://u@h:0/a", "@:", "a@b:c:d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		src, err := ParseSource(s)
		if err != nil {
			var ie *InvalidError
			if !errors.As(err, &ie) {
				t.Fatalf("ParseSource(%q) error type %T, want *InvalidError", s, err)
			}
			return
		}
		shown := src.String()
		if src.Password != "" && len(src.Password) > 3 && strings.Contains(shown, src.Password) {
			t.Fatalf("ParseSource(%q).String() = %q shows the password", s, shown)
		}
		if src.URL != nil && src.URL.User != nil {
			if pw, ok := src.URL.User.Password(); ok && len(pw) > 3 && strings.Contains(shown, ":"+pw+"@") {
				t.Fatalf("ParseSource(%q).String() = %q shows the password", s, shown)
			}
		}
		if src.Kind == SCP && src.URL == nil && (strings.ContainsAny(src.User, ":@") || strings.Contains(src.Host, "@")) {
			t.Fatalf("ParseSource(%q) = scp user %q host %q: a password or a stray @ in the login", s, src.User, src.Host)
		}
		if src.Kind == SCP && (src.User == "" || src.Host == "" || src.Port < 1 || src.Port > 65535 || src.Path == "") {
			t.Fatalf("ParseSource(%q) = incomplete scp source %+v", s, src)
		}
		if src.Kind == HTTP && src.URL.Hostname() == "" {
			t.Fatalf("ParseSource(%q) = http source without host", s)
		}
	})
}
