package strategy

import (
	"context"
	"fmt"
	"time"
)

// Postponement rules of the immediate strategy.
const (
	maxPostpone  = 10 * time.Minute
	recheck      = 60 * time.Second
	finalWarning = time.Minute
)

// Immediate reboots as soon as an update is deployed, unless interactive
// users are logged in: they get a message on their terminals, the sessions
// are checked again every minute, a last warning goes out one minute before
// the end, and the reboot happens when they have logged out or after 10
// minutes, whichever comes first.
type Immediate struct{ Deps }

func (s *Immediate) Name() string { return NameImmediate }

func (s *Immediate) ReportSteady(ctx context.Context) error { return nil }

func (s *Immediate) WaitReboot(ctx context.Context) error { return waitForUsers(ctx, s.Deps) }

// waitForUsers is the logged-in-user wait every rebooting strategy ends
// with: it returns at once when nobody is logged in; otherwise it tells the
// users, checks again every minute, warns one minute before the end and
// returns when they have logged out or after maxPostpone.
func waitForUsers(ctx context.Context, s Deps) error {
	deadline := s.Clock.Now().Add(maxPostpone)
	announced, warned := false, false
	for {
		sessions, err := sessionsOf(ctx, s)
		if err != nil {
			// Unknown sessions: wait as if someone were logged in, within the bound.
			s.Log.Warn("cannot list interactive sessions; postponing the reboot as if users were logged in", "err", err)
		} else if len(sessions) == 0 {
			return nil
		}
		left := deadline.Sub(s.Clock.Now())
		if left <= 0 {
			broadcast(ctx, s, sessions, "The system is rebooting now to finish an update.")
			return nil
		}
		switch {
		case left <= finalWarning && !warned:
			warned = true
			broadcast(ctx, s, sessions, fmt.Sprintf("The system reboots in %s to finish an update. Save your work and log out.", round(left)))
		case !announced:
			announced = true
			broadcast(ctx, s, sessions, fmt.Sprintf("An update is ready. The system reboots when all users have logged out, or in %s at the latest.", round(left)))
		}
		wait := recheck
		if !warned && left-finalWarning > 0 && left-finalWarning < wait {
			wait = left - finalWarning
		}
		if wait > left {
			wait = left
		}
		s.Log.Info("reboot postponed: interactive sessions", "sessions", len(sessions), "left", round(left))
		if s.Events != nil {
			s.Events.Postponed(len(sessions))
		}
		if err := s.Clock.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

func sessionsOf(ctx context.Context, s Deps) ([]Session, error) {
	if s.Sessions == nil {
		return nil, nil
	}
	return s.Sessions.Sessions(ctx)
}

func broadcast(ctx context.Context, s Deps, sessions []Session, msg string) {
	if s.Broadcaster == nil {
		return
	}
	if err := s.Broadcaster.Broadcast(ctx, sessions, msg); err != nil {
		s.Log.Warn("broadcast to logged-in users", "err", err)
	}
}

func round(d time.Duration) time.Duration { return d.Round(time.Second) }
