package strategy

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/altcos/altcos-tools/internal/run"
)

// Session is one interactive login.
type Session struct {
	ID   string
	User string
	TTY  string // e.g. "pts/0", "tty1", "ttyS0"; empty for graphical sessions
}

// SessionLister lists the interactive sessions of the node.
type SessionLister interface {
	Sessions(ctx context.Context) ([]Session, error)
}

// Broadcaster shows a message to logged-in users.
type Broadcaster interface {
	Broadcast(ctx context.Context, sessions []Session, msg string) error
}

// SystemSessions asks logind (loginctl) and falls back to utmp when logind is
// not there (containers, minimal systems).
type SystemSessions struct {
	Log      *slog.Logger
	UtmpPath string // default /run/utmp
}

func (s SystemSessions) Sessions(ctx context.Context) ([]Session, error) {
	if run.Have("loginctl") {
		ss, err := logindSessions(ctx, s.Log)
		if err == nil {
			return ss, nil
		}
		if s.Log != nil {
			s.Log.Warn("logind sessions; reading utmp instead", "err", err)
		}
	}
	p := s.UtmpPath
	if p == "" {
		p = "/run/utmp"
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil // nobody ever logged in since boot
	}
	if err != nil {
		return nil, fmt.Errorf("read sessions from %s: %w", p, err)
	}
	defer f.Close()
	return parseUtmp(f)
}

// loginctlListArgs and loginctlShowArgs build the two loginctl calls.
func loginctlListArgs() []string {
	return []string{"loginctl", "list-sessions", "--no-legend", "--no-pager"}
}

func loginctlShowArgs(id string) []string {
	return []string{"loginctl", "show-session", id, "--no-pager",
		"-p", "Name", "-p", "TTY", "-p", "Class", "-p", "Type", "-p", "State", "-p", "Active"}
}

// logindSessions lists interactive user sessions through loginctl.
func logindSessions(ctx context.Context, log *slog.Logger) ([]Session, error) {
	out, err := run.Output(ctx, log, run.Cmd{Argv: loginctlListArgs()})
	if err != nil {
		return nil, err
	}
	var ss []Session
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		props, err := run.Output(ctx, log, run.Cmd{Argv: loginctlShowArgs(f[0])})
		if err != nil {
			// A session can end between the two calls.
			continue
		}
		if s, ok := parseLoginctlShow(f[0], string(props)); ok {
			ss = append(ss, s)
		}
	}
	return ss, nil
}

// parseLoginctlShow reads `loginctl show-session` properties and reports
// whether the session is an interactive user session that is still open.
func parseLoginctlShow(id, text string) (Session, bool) {
	p := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			p[k] = strings.TrimSpace(v)
		}
	}
	s := Session{ID: id, User: p["Name"], TTY: p["TTY"]}
	if p["Class"] != "user" || p["State"] == "closing" {
		return s, false
	}
	switch p["Type"] {
	case "tty", "x11", "wayland", "mir":
		return s, true
	}
	return s, s.TTY != ""
}

// utmp record layout on Linux (glibc, 64-bit and 32-bit alike: 384 bytes).
const (
	utmpSize        = 384
	utmpUserProcess = 7
	utLineOff       = 8
	utLineLen       = 32
	utUserOff       = 44
	utUserLen       = 32
)

// parseUtmp reads utmp records and returns the USER_PROCESS entries.
func parseUtmp(r io.Reader) ([]Session, error) {
	var ss []Session
	buf := make([]byte, utmpSize)
	for {
		_, err := io.ReadFull(r, buf)
		if errors.Is(err, io.EOF) {
			return ss, nil
		}
		if err != nil {
			return nil, fmt.Errorf("parse utmp: truncated record: %w", err)
		}
		if int16(binary.LittleEndian.Uint16(buf[0:2])) != utmpUserProcess {
			continue
		}
		line := cstr(buf[utLineOff : utLineOff+utLineLen])
		ss = append(ss, Session{ID: line, TTY: line, User: cstr(buf[utUserOff : utUserOff+utUserLen])})
	}
}

func cstr(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// TTYBroadcaster writes the message to each session's terminal, as wall does.
type TTYBroadcaster struct {
	DevDir string // default /dev
	From   string // shown in the banner
}

func (b TTYBroadcaster) Broadcast(ctx context.Context, sessions []Session, msg string) error {
	dev := b.DevDir
	if dev == "" {
		dev = "/dev"
	}
	from := b.From
	if from == "" {
		from = "altcos-updated"
	}
	text := "\r\nBroadcast message from " + from + ":\r\n\r\n" + strings.ReplaceAll(msg, "\n", "\r\n") + "\r\n\r\n"
	var errs []error
	seen := map[string]bool{}
	for _, s := range sessions {
		if s.TTY == "" || seen[s.TTY] {
			continue
		}
		seen[s.TTY] = true
		if strings.Contains(s.TTY, "..") {
			continue
		}
		p := filepath.Join(dev, s.TTY)
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|noCTTY, 0)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if _, err := f.WriteString(text); err != nil {
			errs = append(errs, fmt.Errorf("write to %s: %w", p, err))
		}
		f.Close()
	}
	return errors.Join(errs...)
}
