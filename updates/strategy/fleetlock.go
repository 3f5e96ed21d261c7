package strategy

import (
	"context"
	"time"
)

// Locker is a FleetLock client: Lock takes a reboot slot (recursively),
// Unlock releases it if held.
type Locker interface {
	Lock(ctx context.Context) error
	Unlock(ctx context.Context) error
}

// Backoff of the lock requests.
const (
	lockRetryMin = 10 * time.Second
	lockRetryMax = 5 * time.Minute
)

// FleetLock reboots only with a reboot slot from the lock service, and
// releases the slot once the node runs steadily after the boot.
type FleetLock struct{ Deps }

func (s *FleetLock) Name() string { return NameFleetLock }

func (s *FleetLock) WaitReboot(ctx context.Context) error {
	return s.retry(ctx, "take a reboot slot", s.op("lock", s.Locker.Lock))
}

func (s *FleetLock) ReportSteady(ctx context.Context) error {
	return s.retry(ctx, "release the reboot slot", s.op("unlock", s.Locker.Unlock))
}

// op reports each request's result to the Events.
func (s *FleetLock) op(name string, f func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		err := f(ctx)
		if s.Events != nil && ctx.Err() == nil {
			s.Events.LockResult(name, err)
		}
		return err
	}
}

// InWindows lets a strategy (fleet_lock) allow a reboot only inside
// maintenance windows: it waits for a window, asks the strategy, and when
// the permission came after the window had closed, gives it back
// (ReportSteady: fleet_lock releases the slot) and waits for the next one.
type InWindows struct {
	Strategy
	Deps
	Schedule Schedule
}

func (s *InWindows) WaitReboot(ctx context.Context) error {
	p := &Periodic{Deps: s.Deps, Schedule: s.Schedule}
	for {
		if err := p.WaitReboot(ctx); err != nil {
			return err
		}
		if err := s.Strategy.WaitReboot(ctx); err != nil {
			return err
		}
		if s.Schedule.Contains(s.Clock.Now()) {
			return nil
		}
		s.Log.Info("the maintenance window closed while waiting for the strategy; giving the permission back", "strategy", s.Strategy.Name())
		if err := s.Strategy.ReportSteady(ctx); err != nil {
			return err
		}
	}
}

func (s *FleetLock) retry(ctx context.Context, what string, op func(context.Context) error) error {
	wait := lockRetryMin
	for {
		err := op(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.Log.Warn("fleet lock: "+what+"; retrying", "err", err, "in", wait)
		if err := s.Clock.Sleep(ctx, wait); err != nil {
			return err
		}
		wait *= 2
		if wait > lockRetryMax {
			wait = lockRetryMax
		}
	}
}
