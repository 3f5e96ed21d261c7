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
	LockRetryMin = 10 * time.Second
	LockRetryMax = 5 * time.Minute
)

// FleetLock reboots only with a reboot slot from the lock service, and
// releases the slot once the node runs steadily after the boot.
type FleetLock struct{ Deps }

func (s *FleetLock) Name() string { return NameFleetLock }

func (s *FleetLock) WaitReboot(ctx context.Context) error {
	return s.retry(ctx, "take a reboot slot", s.Locker.Lock)
}

func (s *FleetLock) ReportSteady(ctx context.Context) error {
	return s.retry(ctx, "release the reboot slot", s.Locker.Unlock)
}

func (s *FleetLock) retry(ctx context.Context, what string, op func(context.Context) error) error {
	wait := LockRetryMin
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
		if wait > LockRetryMax {
			wait = LockRetryMax
		}
	}
}
