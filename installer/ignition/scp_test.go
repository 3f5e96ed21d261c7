package ignition

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/internal/testkit/sshtest"
	"golang.org/x/crypto/ssh"
)

func TestFetchSCP(t *testing.T) {
	s := sshtest.Start(t)
	cfg := filepath.Join(s.Dir, "config.ign")
	os.WriteFile(cfg, []byte(ign33), 0o644)
	good := s.KnownHosts(t, s.HostKey)
	otherKey := sshtest.WriteKey(t, filepath.Join(t.TempDir(), "other"))
	changed := s.KnownHosts(t, otherKey)
	empty := s.KnownHosts(t, nil)
	fp := ssh.FingerprintSHA256(s.HostKey)
	keys := []string{s.ClientKey}
	url := "scp://root@" + s.Addr + cfg
	short := "root@127.0.0.1:" + cfg // port 22 is not ours: only used for the parse check
	if src, err := ParseSource(short); err != nil || src.Kind != SCP {
		t.Fatalf("ParseSource(%q) = %v, %v", short, src, err)
	}
	var asked string
	for _, tc := range []struct {
		name    string
		src     string
		opt     Options
		wantErr string
	}{
		{"known_hosts", url, Options{KnownHosts: good, IdentityFiles: keys}, ""},
		{"fingerprint", url, Options{HostKey: fp, IdentityFiles: keys, Hash: sha256Of(ign33)}, ""},
		{"unknown key accepted at the terminal", url, Options{KnownHosts: empty, IdentityFiles: keys, AskHostKey: func(h, f string) (bool, error) { asked = f; return true, nil }}, ""},
		{"unknown key refused at the terminal", url, Options{KnownHosts: empty, IdentityFiles: keys, AskHostKey: func(h, f string) (bool, error) { return false, nil }}, "not accepted"},
		{"unknown key unattended", url, Options{KnownHosts: empty, IdentityFiles: keys}, "is unknown; add the host to --ssh-known-hosts or pass --ssh-host-key " + fp},
		{"changed key", url, Options{KnownHosts: changed, IdentityFiles: keys}, "CHANGED"},
		{"wrong fingerprint", url, Options{HostKey: ssh.FingerprintSHA256(otherKey), IdentityFiles: keys}, "not the SHA256:"},
		{"wrong password", "scp://root:WRONGPW@" + s.Addr + cfg, Options{KnownHosts: good, IdentityFiles: []string{}}, "ssh login as root refused (wrong password or key)"},
		{"wrong prompted password", url, Options{KnownHosts: good, IdentityFiles: []string{}, Password: func(string) (string, error) { return "WRONGPW", nil }}, "refused"},
		{"missing remote file", "scp://root@" + s.Addr + cfg + ".none", Options{KnownHosts: good, IdentityFiles: keys}, "No such file"},
		{"directory", "scp://root@" + s.Addr + s.Dir, Options{KnownHosts: good, IdentityFiles: keys}, "not a regular file"},
		{"wrong hash", url, Options{KnownHosts: good, IdentityFiles: keys, Hash: sha256Of("x")}, "hash mismatch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := fetchString(t, tc.src, tc.opt)
			if tc.wantErr == "" {
				if err != nil || got != ign33 {
					t.Fatalf("Fetch(%s) = %q, %v, want the config", tc.name, got, err)
				}
				return
			}
			var fe *FetchError
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.As(err, &fe) {
				t.Fatalf("Fetch(%s) error = %v, want a FetchError containing %q", tc.name, err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "WRONGPW") {
				t.Errorf("Fetch(%s) error %q shows the password", tc.name, err)
			}
		})
	}
	if asked != fp {
		t.Errorf("AskHostKey got fingerprint %q, want %q", asked, fp)
	}
}
