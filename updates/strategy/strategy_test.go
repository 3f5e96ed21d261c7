package strategy

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeClock advances only when slept on; cancel (if set) ends the context
// after maxSleeps sleeps, so "never returns" is observable.
type fakeClock struct {
	now       time.Time
	sleeps    []time.Duration
	maxSleeps int
	cancel    context.CancelFunc
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		panic("fakeClock.Sleep: non-positive duration " + d.String())
	}
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	if c.maxSleeps > 0 && len(c.sleeps) >= c.maxSleeps && c.cancel != nil {
		c.cancel()
		return context.Canceled
	}
	return nil
}

// fakeSessions has one user logged in until logout (zero: forever).
type fakeSessions struct {
	clock  *fakeClock
	logout time.Time
	err    error
}

func (f *fakeSessions) Sessions(ctx context.Context) ([]Session, error) {
	if f.err != nil {
		return nil, f.err
	}
	if !f.logout.IsZero() && !f.clock.now.Before(f.logout) {
		return nil, nil
	}
	return []Session{{ID: "3", User: "altcos", TTY: "pts/0"}}, nil
}

type message struct {
	at  time.Duration
	msg string
}

type fakeBroadcaster struct {
	clock *fakeClock
	start time.Time
	got   []message
}

func (b *fakeBroadcaster) Broadcast(ctx context.Context, ss []Session, msg string) error {
	b.got = append(b.got, message{b.clock.now.Sub(b.start), msg})
	return nil
}

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) // a Wednesday

func TestImmediate(t *testing.T) {
	tests := []struct {
		name      string
		logout    time.Duration // -1: nobody logged in; 0: never logs out
		listErr   error
		wantAt    time.Duration
		wantMsgAt []time.Duration
	}{
		{"nobody logged in: at once", -1, nil, 0, nil},
		{"user logs out after 3 minutes", 3 * time.Minute, nil, 3 * time.Minute, []time.Duration{0}},
		{"user stays: 10 minutes, last warning at 9", 0, nil, 10 * time.Minute, []time.Duration{0, 9 * time.Minute, 10 * time.Minute}},
		{"user logs out during the last minute", 9*time.Minute + 30*time.Second, nil, 10 * time.Minute, []time.Duration{0, 9 * time.Minute}},
		{"sessions unknown: wait the bound", 0, errors.New("loginctl: no bus"), 10 * time.Minute, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &fakeClock{now: t0}
			fs := &fakeSessions{clock: c, err: tt.listErr}
			switch {
			case tt.logout < 0:
				fs.logout = t0
			case tt.logout > 0:
				fs.logout = t0.Add(tt.logout)
			}
			b := &fakeBroadcaster{clock: c, start: t0}
			s, err := New(Params{Name: NameImmediate}, Deps{Clock: c, Sessions: fs, Broadcaster: b})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.WaitReboot(context.Background()); err != nil {
				t.Fatalf("WaitReboot() = %v", err)
			}
			if got := c.now.Sub(t0); got != tt.wantAt {
				t.Errorf("WaitReboot() returned after %s, want %s", got, tt.wantAt)
			}
			for _, d := range c.sleeps {
				if d > recheck {
					t.Errorf("slept %s between checks, want at most %s", d, recheck)
				}
			}
			if tt.listErr != nil {
				return
			}
			var at []time.Duration
			for _, m := range b.got {
				at = append(at, m.at)
			}
			if len(at) != len(tt.wantMsgAt) {
				t.Fatalf("broadcasts at %v (%v), want at %v", at, b.got, tt.wantMsgAt)
			}
			for i := range at {
				if at[i] != tt.wantMsgAt[i] {
					t.Errorf("broadcast %d at %s, want %s", i, at[i], tt.wantMsgAt[i])
				}
			}
		})
	}
}

func TestImmediateAfterLogoutPollsEveryMinute(t *testing.T) {
	c := &fakeClock{now: t0}
	fs := &fakeSessions{clock: c, logout: t0.Add(150 * time.Second)}
	s := &Immediate{Deps{Clock: c, Sessions: fs, Broadcaster: &fakeBroadcaster{clock: c, start: t0}, Log: discard()}}
	if err := s.WaitReboot(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Checks at 0, 60, 120, 180 s: the logout at 150 s is seen at 180 s.
	if got := c.now.Sub(t0); got != 180*time.Second {
		t.Errorf("WaitReboot() returned after %s, want 3m0s", got)
	}
}

func mustWindows(t *testing.T, days []string, start string, length int) []Window {
	t.Helper()
	w, err := ParseWindows(days, start, length)
	if err != nil {
		t.Fatalf("ParseWindows(%v, %s, %d) = %v", days, start, length, err)
	}
	return w
}

func TestScheduleContains(t *testing.T) {
	msk, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	ny, _ := time.LoadLocation("America/New_York")
	tests := []struct {
		name  string
		loc   *time.Location
		days  []string
		start string
		len   int
		at    time.Time
		want  bool
	}{
		{"inside", time.UTC, []string{"Wed"}, "09:30", 60, t0, true},
		{"before", time.UTC, []string{"Wed"}, "10:01", 60, t0, false},
		{"end is exclusive", time.UTC, []string{"Wed"}, "09:00", 60, t0, false},
		{"other day", time.UTC, []string{"Thu"}, "09:30", 60, t0, false},
		{"wraps midnight", time.UTC, []string{"Tue"}, "23:30", 60, time.Date(2026, 11, 25, 0, 15, 0, 0, time.UTC), true},
		{"wraps the week", time.UTC, []string{"Sunday"}, "23:00", 120, time.Date(2026, 11, 23, 0, 30, 0, 0, time.UTC), true},
		{"week wrap ends", time.UTC, []string{"Sun"}, "23:00", 120, time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC), false},
		// 10:00 UTC is 13:00 in Moscow (UTC+3).
		{"zone: local wall clock", msk, []string{"Wed"}, "12:30", 60, t0, true},
		{"zone: UTC time is not local", msk, []string{"Wed"}, "09:30", 60, t0, false},
		// 2026-11-25 is winter time in New York: 10:00 UTC = 05:00 EST.
		{"zone: DST-aware", ny, []string{"Wed"}, "05:00", 30, t0, true},
		{"zone: day differs from UTC", ny, []string{"Tue"}, "23:00", 60, time.Date(2026, 11, 25, 4, 30, 0, 0, time.UTC), true},
	}
	for _, tt := range tests {
		s := Schedule{Loc: tt.loc, Windows: mustWindows(t, tt.days, tt.start, tt.len)}
		if got := s.Contains(tt.at); got != tt.want {
			t.Errorf("%s: Contains(%s) = %v, want %v", tt.name, tt.at, got, tt.want)
		}
	}
}

func TestPeriodicWaitsForWindow(t *testing.T) {
	msk, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	tests := []struct {
		name string
		loc  *time.Location
		days []string
		at   string
		want time.Time
	}{
		{"inside now", time.UTC, []string{"Wed"}, "09:45", t0},
		{"later today", time.UTC, []string{"Wed"}, "22:00", time.Date(2026, 11, 25, 22, 0, 0, 0, time.UTC)},
		{"next week (the window of today has passed)", time.UTC, []string{"Wed"}, "08:00", time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)},
		{"across the week end", time.UTC, []string{"Mon"}, "01:00", time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)},
		{"in a zone", msk, []string{"Sat", "Sun"}, "02:00", time.Date(2026, 11, 27, 23, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		c := &fakeClock{now: t0.Add(13 * time.Second)}
		if tt.name == "inside now" {
			c.now = t0
		}
		sched := Schedule{Loc: tt.loc, Windows: mustWindows(t, tt.days, tt.at, 30)}
		s, err := New(Params{Name: NamePeriodic, Schedule: &sched}, Deps{Clock: c})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.WaitReboot(context.Background()); err != nil {
			t.Fatal(err)
		}
		if !c.now.Equal(tt.want) {
			t.Errorf("%s: WaitReboot() returned at %s, want %s", tt.name, c.now.UTC(), tt.want)
		}
		if !sched.Contains(c.now) {
			t.Errorf("%s: returned at %s outside every window", tt.name, c.now)
		}
	}
}

func TestParseWindowsBad(t *testing.T) {
	tests := []struct {
		days  []string
		start string
		len   int
	}{
		{nil, "01:00", 30},
		{[]string{"Funday"}, "01:00", 30},
		{[]string{"Mon"}, "1:00", 30},
		{[]string{"Mon"}, "24:00", 30},
		{[]string{"Mon"}, "01:60", 30},
		{[]string{"Mon"}, "01:00", 0},
		{[]string{"Mon"}, "01:00", -5},
	}
	for _, tt := range tests {
		if _, err := ParseWindows(tt.days, tt.start, tt.len); err == nil {
			t.Errorf("ParseWindows(%v, %q, %d) = nil error, want an error", tt.days, tt.start, tt.len)
		}
	}
	if _, err := LoadZone("Mars/Olympus"); err == nil {
		t.Error("LoadZone(Mars/Olympus) = nil error, want an error")
	}
}

type fakeLocker struct {
	fails    int // Lock fails this many times first
	locked   bool
	lockErrs int
	unlocks  int
}

func (l *fakeLocker) Lock(ctx context.Context) error {
	if l.fails < 0 || l.lockErrs < l.fails {
		l.lockErrs++
		return errors.New(`fleet lock: HTTP 409: {"kind":"failed_lock","value":"all 1 semaphore slots currently locked"}`)
	}
	l.locked = true
	return nil
}

func (l *fakeLocker) Unlock(ctx context.Context) error {
	l.unlocks++
	l.locked = false
	return nil
}

func TestFleetLock(t *testing.T) {
	c := &fakeClock{now: t0}
	l := &fakeLocker{fails: 3}
	s, err := New(Params{Name: NameFleetLock}, Deps{Clock: c, Locker: l})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WaitReboot(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !l.locked || l.lockErrs != 3 {
		t.Errorf("after WaitReboot: locked=%v after %d failures, want locked after 3", l.locked, l.lockErrs)
	}
	want := []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second}
	if len(c.sleeps) != 3 || c.sleeps[0] != want[0] || c.sleeps[2] != want[2] {
		t.Errorf("backoff sleeps %v, want %v", c.sleeps, want)
	}
	if err := s.ReportSteady(context.Background()); err != nil || l.locked || l.unlocks != 1 {
		t.Errorf("ReportSteady() = %v, locked=%v unlocks=%d, want released once", err, l.locked, l.unlocks)
	}
}

func TestFleetLockNeverRebootsWithoutLock(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := &fakeClock{now: t0, maxSleeps: 50, cancel: cancel}
	l := &fakeLocker{fails: -1}
	s := &FleetLock{Deps{Clock: c, Locker: l, Log: discard()}}
	if err := s.WaitReboot(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitReboot() = %v, want context.Canceled (no reboot without the lock)", err)
	}
	if l.locked {
		t.Error("locked without a successful Lock")
	}
	for _, d := range c.sleeps {
		if d > lockRetryMax {
			t.Errorf("backoff %s, want at most %s", d, lockRetryMax)
		}
	}
}

func TestNewBad(t *testing.T) {
	for _, p := range []Params{{Name: "yolo"}, {Name: NamePeriodic}, {Name: NameFleetLock}} {
		if _, err := New(p, Deps{}); err == nil {
			t.Errorf("New(%+v) = nil error, want an error", p)
		}
	}
}

func TestParseUtmp(t *testing.T) {
	rec := func(typ int16, line, user string) []byte {
		b := make([]byte, utmpSize)
		binary.LittleEndian.PutUint16(b, uint16(typ))
		copy(b[utLineOff:], line)
		copy(b[utUserOff:], user)
		return b
	}
	var buf bytes.Buffer
	buf.Write(rec(2, "~", "reboot")) // BOOT_TIME
	buf.Write(rec(7, "pts/0", "altcos"))
	buf.Write(rec(8, "pts/1", "")) // DEAD_PROCESS
	buf.Write(rec(7, "ttyS0", "root"))
	got, err := parseUtmp(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].TTY != "pts/0" || got[0].User != "altcos" || got[1].TTY != "ttyS0" {
		t.Errorf("parseUtmp() = %+v, want pts/0 altcos and ttyS0 root", got)
	}
	if _, err := parseUtmp(bytes.NewReader(make([]byte, 100))); err == nil {
		t.Error("parseUtmp(truncated) = nil error, want an error")
	}
}

func TestParseLoginctlShow(t *testing.T) {
	tests := []struct {
		text string
		want bool
	}{
		{"Name=altcos\nTTY=pts/0\nClass=user\nType=tty\nState=active\n", true},
		{"Name=gdm\nTTY=\nClass=greeter\nType=x11\nState=online\n", false},
		{"Name=altcos\nTTY=pts/0\nClass=user\nType=tty\nState=closing\n", false},
		{"Name=svc\nTTY=\nClass=user\nType=unspecified\nState=active\n", false},
	}
	for _, tt := range tests {
		if _, got := parseLoginctlShow("1", tt.text); got != tt.want {
			t.Errorf("parseLoginctlShow(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

func TestTTYBroadcaster(t *testing.T) {
	dev := t.TempDir()
	os.MkdirAll(filepath.Join(dev, "pts"), 0o755)
	os.WriteFile(filepath.Join(dev, "pts/0"), nil, 0o600)
	b := TTYBroadcaster{DevDir: dev}
	err := b.Broadcast(context.Background(), []Session{{TTY: "pts/0"}, {TTY: "pts/0"}, {TTY: "../etc/passwd"}, {TTY: ""}}, "reboot soon")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dev, "pts/0"))
	if strings.Count(string(got), "reboot soon") != 1 {
		t.Errorf("tty got %q, want the message once", got)
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestSystemSessionsHere runs the real lister: logind when it answers, utmp
// otherwise; a missing utmp means nobody is logged in.
func TestSystemSessionsHere(t *testing.T) {
	ss, err := SystemSessions{UtmpPath: filepath.Join(t.TempDir(), "utmp"), Log: discard()}.Sessions(context.Background())
	if err != nil {
		t.Fatalf("Sessions() = %v", err)
	}
	t.Logf("sessions: %+v", ss)
}
