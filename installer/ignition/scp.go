package ignition

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// hostKeyCallback verifies the scp server's key: against a fingerprint when
// one is given, else against known_hosts; an unknown key is shown by its
// SHA256 fingerprint and accepted only when the operator says y.
func hostKeyCallback(opt Options) (ssh.HostKeyCallback, error) {
	if opt.HostKey != "" {
		if !strings.HasPrefix(opt.HostKey, "SHA256:") {
			return nil, &InvalidError{Name: "ssh host key", Reason: "not a SHA256 fingerprint; give SHA256:<base64> as ssh-keygen -lf prints it"}
		}
		return func(host string, _ net.Addr, key ssh.PublicKey) error {
			if got := ssh.FingerprintSHA256(key); got != opt.HostKey {
				return fmt.Errorf("host key of %s is %s, not the %s given with --ssh-host-key; check the host and the fingerprint", host, got, opt.HostKey)
			}
			return nil
		}, nil
	}
	var files []string
	if opt.KnownHosts != "" {
		if _, err := os.Stat(opt.KnownHosts); err != nil {
			return nil, &InvalidError{Name: opt.KnownHosts, Reason: "known_hosts file not found; check --ssh-known-hosts"}
		}
		files = []string{opt.KnownHosts}
	} else {
		home, _ := os.UserHomeDir()
		for _, f := range []string{filepath.Join(home, ".ssh", "known_hosts"), "/etc/ssh/ssh_known_hosts"} {
			if _, err := os.Stat(f); err == nil {
				files = append(files, f)
			}
		}
	}
	var known ssh.HostKeyCallback
	if len(files) > 0 {
		var err error
		if known, err = knownhosts.New(files...); err != nil {
			return nil, fmt.Errorf("read known_hosts %s: %w", strings.Join(files, ", "), err)
		}
	}
	return func(host string, remote net.Addr, key ssh.PublicKey) error {
		fp := ssh.FingerprintSHA256(key)
		if known != nil {
			err := known(host, remote, key)
			var ke *knownhosts.KeyError
			if err == nil {
				return nil
			}
			if !errors.As(err, &ke) {
				return err
			}
			if len(ke.Want) > 0 {
				return fmt.Errorf("host key of %s CHANGED: it presents %s, known_hosts line %d says otherwise; someone may be intercepting, or the host was reinstalled: check, then fix known_hosts", host, fp, ke.Want[0].Line)
			}
		}
		if opt.AskHostKey != nil {
			ok, err := opt.AskHostKey(host, fp)
			if err != nil {
				return err
			}
			if ok {
				return nil
			}
			return fmt.Errorf("host key %s of %s not accepted", fp, host)
		}
		return fmt.Errorf("host key %s of %s is unknown; add the host to --ssh-known-hosts or pass --ssh-host-key %s after checking it", fp, host, fp)
	}, nil
}

func authMethods(src Source, opt Options) []ssh.AuthMethod {
	var methods []ssh.AuthMethod
	files := opt.IdentityFiles
	if files == nil {
		home, _ := os.UserHomeDir()
		for _, n := range []string{"id_ed25519", "id_ecdsa", "id_rsa"} {
			files = append(files, filepath.Join(home, ".ssh", n))
		}
	}
	var signers []ssh.Signer
	for _, f := range files {
		pem, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if s, err := ssh.ParsePrivateKey(pem); err == nil {
			signers = append(signers, s)
		} else if opt.Log != nil {
			opt.Log.Debug("ssh key not usable", "file", f, "err", err)
		}
	}
	if len(signers) > 0 {
		methods = append(methods, ssh.PublicKeys(signers...))
	}
	if src.Password != "" {
		methods = append(methods, ssh.Password(src.Password))
	} else if opt.Password != nil {
		methods = append(methods, ssh.PasswordCallback(func() (string, error) {
			return opt.Password(fmt.Sprintf("password of %s@%s", src.User, src.Host))
		}))
	}
	return methods
}

// shellQuote quotes p for the remote user's POSIX shell.
func shellQuote(p string) string {
	if strings.HasPrefix(p, "~/") {
		return "~/" + shellQuote(p[2:])
	}
	return "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
}

// fetchSCP reads one file with the scp protocol's source side (`scp -f`) over
// an SSH session, the way scp(1) does in its original mode.
func fetchSCP(ctx context.Context, src Source, opt Options) ([]byte, error) {
	hk, err := hostKeyCallback(opt)
	if err != nil {
		return nil, err
	}
	cfg := &ssh.ClientConfig{User: src.User, Auth: authMethods(src, opt), HostKeyCallback: hk, Timeout: opt.Timeout}
	addr := net.JoinHostPort(src.Host, strconv.Itoa(src.Port))
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if err != nil {
		conn.Close()
		if strings.Contains(err.Error(), "unable to authenticate") {
			return nil, fmt.Errorf("ssh login as %s refused (wrong password or key); check the credentials", src.User)
		}
		return nil, fmt.Errorf("ssh: %w", err)
	}
	client := ssh.NewClient(c, chans, reqs)
	defer client.Close()
	sess, err := client.NewSession()
	if err != nil {
		return nil, fmt.Errorf("ssh session: %w", err)
	}
	defer sess.Close()
	in, err := sess.StdinPipe()
	if err != nil {
		return nil, err
	}
	outPipe, err := sess.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	sess.Stderr = &stderr
	if err := sess.Start("scp -f -- " + shellQuote(src.Path)); err != nil {
		return nil, fmt.Errorf("start remote scp: %w", err)
	}
	data, perr := scpReceive(in, bufio.NewReader(outPipe), opt.MaxBytes)
	in.Close()
	werr := sess.Wait()
	if perr != nil {
		if s := strings.TrimSpace(stderr.String()); s != "" {
			perr = fmt.Errorf("%w: %s", perr, lastLine(s))
		}
		return nil, perr
	}
	if werr != nil {
		return nil, fmt.Errorf("remote scp: %w", werr)
	}
	return data, nil
}

func lastLine(s string) string {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// scpReceive speaks the sink side of the scp protocol for a single file.
func scpReceive(w io.Writer, r *bufio.Reader, max int64) ([]byte, error) {
	ack := func() error { _, err := w.Write([]byte{0}); return err }
	if err := ack(); err != nil {
		return nil, err
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			if line == "" {
				return nil, errors.New("remote scp sent nothing; is scp installed on the host?")
			}
			return nil, fmt.Errorf("remote scp: %w", err)
		}
		if len(line) > 0 && (line[0] == 1 || line[0] == 2) {
			return nil, fmt.Errorf("remote: %s", strings.TrimSpace(line[1:]))
		}
		if len(line) > 1 && line[1] == 1 { // status byte 0 followed by an error
			return nil, fmt.Errorf("remote: %s", strings.TrimSpace(line[2:]))
		}
		switch line[0] {
		case 'T':
			if err := ack(); err != nil {
				return nil, err
			}
			continue
		case 'D':
			return nil, errors.New("remote path is a directory; give a file")
		case 'C':
		default:
			return nil, fmt.Errorf("remote scp: unexpected %q", strings.TrimSpace(line))
		}
		f := strings.SplitN(strings.TrimSpace(line), " ", 3)
		if len(f) != 3 {
			return nil, fmt.Errorf("remote scp: malformed %q", strings.TrimSpace(line))
		}
		size, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil || size < 0 {
			return nil, fmt.Errorf("remote scp: bad size %q", f[1])
		}
		if size > max {
			return nil, fmt.Errorf("config larger than %d bytes; serve a smaller config", max)
		}
		if err := ack(); err != nil {
			return nil, err
		}
		data := make([]byte, size)
		if _, err := io.ReadFull(r, data); err != nil {
			return nil, fmt.Errorf("remote scp: %w", err)
		}
		st, err := r.ReadByte()
		if err != nil {
			return nil, fmt.Errorf("remote scp: %w", err)
		}
		if st != 0 {
			msg, _ := r.ReadString('\n')
			return nil, fmt.Errorf("remote: %s", strings.TrimSpace(msg))
		}
		if err := ack(); err != nil {
			return nil, err
		}
		return data, nil
	}
}
