package strategy

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestStageNeverReboots: the stage strategy answers ErrNoReboot at once,
// without sleeping, taking a lock or talking to users.
func TestStageNeverReboots(t *testing.T) {
	c := &fakeClock{now: t0}
	b := &fakeBroadcaster{clock: c, start: t0}
	s, err := New(Params{Name: NameStage}, Deps{Clock: c, Sessions: &fakeSessions{clock: c}, Broadcaster: b})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WaitReboot(context.Background()); !errors.Is(err, ErrNoReboot) {
		t.Errorf("stage WaitReboot() = %v, want ErrNoReboot", err)
	}
	if len(c.sleeps) != 0 || len(b.got) != 0 || s.Name() != "stage" {
		t.Errorf("stage slept %v and broadcast %v, want neither", c.sleeps, b.got)
	}
}

type recEvents struct {
	locks     map[string]int
	postponed int
}

func (r *recEvents) LockResult(op string, err error) {
	res := "ok"
	if err != nil {
		res = "error"
	}
	r.locks[op+" "+res]++
}
func (r *recEvents) Postponed(users int) { r.postponed++ }

// TestUserWaitOnEveryRebootingStrategy: periodic and fleet_lock, like
// immediate, end with the logged-in-user wait: a message at once, a last
// warning, the reboot 10 minutes after the strategy allowed it at the
// latest, or when the user logs out.
func TestUserWaitOnEveryRebootingStrategy(t *testing.T) {
	window := func(t *testing.T) *Schedule {
		return &Schedule{Loc: time.UTC, Windows: mustWindows(t, []string{"Wed"}, "09:45", 60)} // t0 is inside
	}
	for _, name := range []string{NameImmediate, NamePeriodic, NameFleetLock} {
		for _, logout := range []time.Duration{0, 4 * time.Minute} {
			t.Run(name+"/logout="+logout.String(), func(t *testing.T) {
				c := &fakeClock{now: t0}
				fs := &fakeSessions{clock: c}
				if logout > 0 {
					fs.logout = t0.Add(logout)
				}
				b := &fakeBroadcaster{clock: c, start: t0}
				ev := &recEvents{locks: map[string]int{}}
				l := &fakeLocker{}
				p := Params{Name: name}
				if name == NamePeriodic {
					p.Schedule = window(t)
				}
				s, err := New(p, Deps{Clock: c, Sessions: fs, Broadcaster: b, Locker: l, Events: ev})
				if err != nil {
					t.Fatal(err)
				}
				if err := s.WaitReboot(context.Background()); err != nil {
					t.Fatalf("WaitReboot() = %v", err)
				}
				want := maxPostpone
				if logout > 0 {
					want = logout
				}
				if got := c.now.Sub(t0); got != want {
					t.Errorf("WaitReboot() returned after %s, want %s", got, want)
				}
				if len(b.got) == 0 || b.got[0].at != 0 {
					t.Errorf("broadcasts %v, want a message at once", b.got)
				}
				if ev.postponed == 0 {
					t.Errorf("no postponement reported to the events")
				}
				if name == NameFleetLock && (!l.locked || ev.locks["lock ok"] != 1) {
					t.Errorf("fleet_lock: locked=%v, lock events %v; want the slot taken before the user wait", l.locked, ev.locks)
				}
			})
		}
	}
}

// TestFleetLockInWindows: fleet_lock with maintenance windows takes the
// slot only inside a window; a slot granted after the window closed is
// given back and taken again in the next window.
func TestFleetLockInWindows(t *testing.T) {
	sched := &Schedule{Loc: time.UTC, Windows: mustWindows(t, []string{"Wed"}, "22:00", 30)}
	t.Run("waits for the window, then locks", func(t *testing.T) {
		c := &fakeClock{now: t0} // Wed 10:00
		l := &fakeLocker{}
		ev := waitFleetLock(t, sched, c, l)
		if want := time.Date(2026, 11, 25, 22, 0, 0, 0, time.UTC); !c.now.Equal(want) || !l.locked {
			t.Errorf("WaitReboot() returned at %s, locked=%v; want %s, locked", c.now, l.locked, want)
		}
		if ev.locks["lock ok"] != 1 || ev.locks["lock error"] != 0 {
			t.Errorf("lock events %v, want one successful lock", ev.locks)
		}
	})
	t.Run("slot after the window closed: released, next week", func(t *testing.T) {
		c := &fakeClock{now: t0}
		l := &fakeLocker{fails: 10} // 10+20+40+80+160+5x300 s = 30m10s of backoff: past 22:30
		ev := waitFleetLock(t, sched, c, l)
		if !sched.Contains(c.now) || c.now.Before(time.Date(2026, 12, 2, 22, 0, 0, 0, time.UTC)) || !l.locked {
			t.Errorf("WaitReboot() returned at %s, locked=%v; want inside next Wednesday's window, locked", c.now, l.locked)
		}
		if l.unlocks != 1 || ev.locks["lock error"] != 10 || ev.locks["unlock ok"] != 1 {
			t.Errorf("unlocks %d, lock events %v; want the late slot given back once after 10 failures", l.unlocks, ev.locks)
		}
	})
}

// waitFleetLock runs fleet_lock's WaitReboot with sched on c and l to its
// end and returns the events it reported.
func waitFleetLock(t *testing.T, sched *Schedule, c *fakeClock, l *fakeLocker) *recEvents {
	t.Helper()
	ev := &recEvents{locks: map[string]int{}}
	s, err := New(Params{Name: NameFleetLock, Schedule: sched}, Deps{Clock: c, Locker: l, Events: ev})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WaitReboot(context.Background()); err != nil {
		t.Fatal(err)
	}
	return ev
}
