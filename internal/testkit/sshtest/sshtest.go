// Package sshtest starts Debian's OpenSSH server on 127.0.0.1 for tests of
// scp sources: its own host key, an authorized client key, password login
// enabled (root's password is unknown here, so every password is wrong).
// It needs root and sshd; tooltest gates it.
package sshtest

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// WriteKey writes a new ed25519 private key in OpenSSH format to path and
// returns its public key.
func WriteKey(t testing.TB, path string) ssh.PublicKey {
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

// Server is a running OpenSSH server for one test.
type Server struct {
	Addr, Port string
	HostKey    ssh.PublicKey
	ClientKey  string // private key file authorized on the server
	Dir        string // its folder: keys, config, files to serve
}

// Start runs Debian's OpenSSH server on 127.0.0.1 with its own host key,
// an authorized_keys file of a fresh client key, and password login allowed
// (root's password on this machine is unknown, so every password is wrong).
func Start(t testing.TB) *Server {
	t.Helper()
	tooltest.Root(t)
	tooltest.Tools(t, "sshd", "scp")
	dir := t.TempDir()
	s := &Server{Dir: dir, ClientKey: filepath.Join(dir, "client")}
	s.HostKey = WriteKey(t, filepath.Join(dir, "host"))
	clientPub := WriteKey(t, s.ClientKey)
	os.WriteFile(filepath.Join(dir, "authorized_keys"), ssh.MarshalAuthorizedKey(clientPub), 0o600)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = l.Addr().String()
	_, s.Port, _ = net.SplitHostPort(s.Addr)
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
`, s.Addr, dir, dir, dir)
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
		c, err := net.Dial("tcp", s.Addr)
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
			t.Fatalf("sshd did not come up on %s: %s", s.Addr, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return s
}

// KnownHosts writes a known_hosts file that maps the server to key (nil:
// an empty file) and returns its path.
func (s *Server) KnownHosts(t testing.TB, key ssh.PublicKey) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "known_hosts")
	var line string
	if key != nil {
		line = knownhosts.Line([]string{knownhosts.Normalize(s.Addr)}, key) + "\n"
	}
	os.WriteFile(p, []byte(line), 0o600)
	return p
}
