// Package strategy decides when a node with a deployed update may reboot:
// immediate (now, or once interactive users have logged out, at most 10
// minutes later), periodic (inside weekly maintenance windows) and fleet_lock
// (with a reboot slot from a FleetLock service). The clock, the session list,
// the broadcast to terminals and the lock service are injected so the
// decisions are tested without waiting and without real users.
package strategy

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Names of the strategies, as in the [updates] strategy key.
const (
	NameImmediate = "immediate"
	NamePeriodic  = "periodic"
	NameFleetLock = "fleet_lock"
)

// Strategy is one finalization policy.
type Strategy interface {
	Name() string
	// WaitReboot returns nil when the node may reboot into its deployed
	// update now. It blocks until then, or until ctx ends.
	WaitReboot(ctx context.Context) error
	// ReportSteady tells the policy that the node booted and runs steadily
	// (fleet_lock releases its reboot slot). It blocks, retrying, until it
	// succeeds or ctx ends.
	ReportSteady(ctx context.Context) error
}

// Clock is time as the strategies see it.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx ends (then it returns ctx.Err()).
	Sleep(ctx context.Context, d time.Duration) error
}

// RealClock is the wall clock.
type RealClock struct{}

func (RealClock) Now() time.Time { return time.Now() }

func (RealClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Deps are what the strategies need from the system.
type Deps struct {
	Clock       Clock
	Sessions    SessionLister
	Broadcaster Broadcaster
	Locker      Locker // fleet_lock only
	Log         *slog.Logger
}

// Params configure New.
type Params struct {
	Name     string
	Schedule *Schedule // periodic
}

// New returns the strategy called p.Name.
func New(p Params, d Deps) (Strategy, error) {
	if d.Clock == nil {
		d.Clock = RealClock{}
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	switch p.Name {
	case NameImmediate:
		return &Immediate{Deps: d}, nil
	case NamePeriodic:
		if p.Schedule == nil || len(p.Schedule.Windows) == 0 {
			return nil, fmt.Errorf("strategy periodic needs at least one [[updates.periodic.window]]")
		}
		return &Periodic{Deps: d, Schedule: *p.Schedule}, nil
	case NameFleetLock:
		if d.Locker == nil {
			return nil, fmt.Errorf("strategy fleet_lock needs [updates.fleet_lock] base_url")
		}
		return &FleetLock{Deps: d}, nil
	}
	return nil, fmt.Errorf("unknown update strategy %q; use immediate, periodic or fleet_lock", p.Name)
}
