package ignition

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/internal/tooltest"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func writeKey(t *testing.T, path string) ssh.PublicKey {
	t.Helper()
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	sp, _ := ssh.NewPublicKey(pub)
	return sp
}

type sshServer struct {
	addr, port string
	hostKey    ssh.PublicKey
	clientKey  string // private key file authorized on the server
	dir        string
}

// startSSHD runs Debian's OpenSSH server on 127.0.0.1 with its own host key,
// an authorized_keys file of a fresh client key, and password login allowed
// (root's password on this machine is unknown, so every password is wrong).
func startSSHD(t *testing.T) *sshServer {
	t.Helper()
	tooltest.Root(t)
	tooltest.Tools(t, "sshd", "scp")
	dir := t.TempDir()
	s := &sshServer{dir: dir, clientKey: filepath.Join(dir, "client")}
	s.hostKey = writeKey(t, filepath.Join(dir, "host"))
	clientPub := writeKey(t, s.clientKey)
	os.WriteFile(filepath.Join(dir, "authorized_keys"), ssh.MarshalAuthorizedKey(clientPub), 0o600)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().String()
	_, s.port, _ = net.SplitHostPort(s.addr)
	l.Close()
	cfg := fmt.Sprintf(`ListenAddress %s
HostKey %s/host
AuthorizedKeysFile %s/authorized_keys
PidFile %s/sshd.pid
PermitRootLogin yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
MaxAuthTries 10
`, s.addr, dir, dir, dir)
	os.WriteFile(filepath.Join(dir, "sshd_config"), []byte(cfg), 0o600)
	os.MkdirAll("/run/sshd", 0o755) // sshd's privilege separation directory
	var logs bytes.Buffer
	sshd, err := exec.LookPath(run.Path("sshd")) // sshd re-executes itself: it needs its absolute path
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sshd, "-D", "-e", "-f", filepath.Join(dir, "sshd_config"))
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sshd: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("sshd log:\n%s", logs.String())
		}
	})
	// Wait for the banner (bounded; not a timing assertion).
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", s.addr)
		if err == nil {
			line, _ := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if strings.HasPrefix(line, "SSH-") {
				break
			}
		}
		select {
		case <-exited:
			t.Fatalf("sshd exited: %s", logs.String())
		default:
		}
		if i > 200 {
			t.Fatalf("sshd did not come up on %s: %s", s.addr, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return s
}

func (s *sshServer) knownHosts(t *testing.T, key ssh.PublicKey) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "known_hosts")
	var line string
	if key != nil {
		line = knownhosts.Line([]string{knownhosts.Normalize(s.addr)}, key) + "\n"
	}
	os.WriteFile(p, []byte(line), 0o600)
	return p
}

func TestFetchSCP(t *testing.T) {
	s := startSSHD(t)
	cfg := filepath.Join(s.dir, "config.ign")
	os.WriteFile(cfg, []byte(ign33), 0o644)
	good := s.knownHosts(t, s.hostKey)
	otherKey := writeKey(t, filepath.Join(t.TempDir(), "other"))
	changed := s.knownHosts(t, otherKey)
	empty := s.knownHosts(t, nil)
	fp := ssh.FingerprintSHA256(s.hostKey)
	keys := []string{s.clientKey}
	url := "scp://root@" + s.addr + cfg
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
		{"wrong password", "scp://root:WRONGPW@" + s.addr + cfg, Options{KnownHosts: good, IdentityFiles: []string{}}, "ssh login as root refused (wrong password or key)"},
		{"wrong prompted password", url, Options{KnownHosts: good, IdentityFiles: []string{}, Password: func(string) (string, error) { return "WRONGPW", nil }}, "refused"},
		{"missing remote file", "scp://root@" + s.addr + cfg + ".none", Options{KnownHosts: good, IdentityFiles: keys}, "No such file"},
		{"directory", "scp://root@" + s.addr + s.dir, Options{KnownHosts: good, IdentityFiles: keys}, "not a regular file"},
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
