package installercli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/internal/testkit/sshtest"
	"golang.org/x/crypto/ssh"
)

// TestSCPSource installs (dry run) with the config on a real OpenSSH server:
// a known host key passes; an unknown one is refused unattended and asked
// about otherwise; a changed key, a wrong fingerprint and a wrong password
// fail as fetch failures without printing the password.
func TestSCPSource(t *testing.T) {
	s := sshtest.Start(t)
	e := newEnv(t)
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	key, _ := os.ReadFile(s.ClientKey)
	os.WriteFile(filepath.Join(home, ".ssh", "id_ed25519"), key, 0o600)
	t.Setenv("HOME", home) // the client key is found where ssh would look
	cfg := filepath.Join(s.Dir, "config.ign")
	os.WriteFile(cfg, []byte(ign33), 0o644)
	good := s.KnownHosts(t, s.HostKey)
	changed := s.KnownHosts(t, sshtest.WriteKey(t, filepath.Join(t.TempDir(), "other")))
	empty := s.KnownHosts(t, nil)
	fp := ssh.FingerprintSHA256(s.HostKey)
	url := "scp://root@" + s.Addr + cfg
	dry := func(extra ...string) []string {
		return append(append(e.base(), "--dry-run"), append(extra, e.image)...)
	}
	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
		code  int
		want  string // in stdout (success) or stderr's last line (failure)
	}{
		{"known host", dry("-I", url, "--ssh-known-hosts", good), "", 0, "Ignition config scp://root@" + s.Addr + cfg + ": spec 3.3.0"},
		{"fingerprint", dry("-I", url, "--ssh-host-key", fp), "", 0, "spec 3.3.0"},
		{"unknown key unattended", dry("--yes", "-I", url, "--ssh-known-hosts", empty), "", exitFetch, "is unknown; add the host to --ssh-known-hosts or pass --ssh-host-key " + fp},
		{"unknown key accepted by the operator", dry("-I", url, "--ssh-known-hosts", empty), "y\n", 0, "The SSH host key of " + s.Addr + " is unknown: " + fp},
		{"unknown key refused by the operator", dry("-I", url, "--ssh-known-hosts", empty), "n\n", exitFetch, "not accepted"},
		{"changed key", dry("--yes", "-I", url, "--ssh-known-hosts", changed), "", exitFetch, "CHANGED"},
		{"wrong fingerprint", dry("--yes", "-I", url, "--ssh-host-key", "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), "", exitFetch, "not the SHA256:AAAA"},
		{"wrong password", dry("--yes", "-I", "scp://root:WRONG-PW-MARKER@"+s.Addr+cfg, "--ssh-known-hosts", good), "", exitFetch, "ssh login as root refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "wrong password" {
				t.Setenv("HOME", t.TempDir()) // no key: only the password is tried
			}
			r := runCLI(t, tc.stdin, tc.args...)
			lines := strings.Split(strings.TrimSpace(r.errout), "\n")
			got := lines[len(lines)-1]
			if tc.code == 0 {
				got = r.out
			}
			if r.code != tc.code || !strings.Contains(got, tc.want) {
				t.Errorf("exit %d, want %d; output %q, want containing %q", r.code, tc.code, got, tc.want)
			}
			if strings.Contains(r.out+r.errout, "WRONG-PW-MARKER") {
				t.Errorf("the scp password was printed")
			}
		})
	}
}
