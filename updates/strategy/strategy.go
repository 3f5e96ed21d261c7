// Package strategy decides when a node with a deployed update may reboot:
// immediate (now), periodic (inside weekly maintenance windows), fleet_lock
// (with a reboot slot from a FleetLock service, inside maintenance windows
// when some are configured) and stage (never: the administrator reboots).
// Every strategy that reboots ends with the logged-in-user wait: users get
// a message and the reboot waits until they log out, at most 10 minutes. The clock, the session list,
// the broadcast to terminals and the lock service are injected so the
// decisions are tested without waiting and without real users.
package strategy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Names of the strategies, as in the [updates] strategy key.
const (
	NameImmediate = "immediate"
	NamePeriodic  = "periodic"
	NameFleetLock = "fleet_lock"
	NameStage     = "stage"
)

// ErrNoReboot is WaitReboot's answer of a strategy that never reboots
// (stage): the update stays staged until the administrator reboots.
var ErrNoReboot = errors.New("the strategy never reboots; reboot to apply the staged update")

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
	Events      Events // optional: lock results and postponements, for metrics
}

// Events hears what the strategies decide, for the agent's metrics.
type Events interface {
	// LockResult is one FleetLock request: op "lock" or "unlock", err its outcome.
	LockResult(op string, err error)
	// Postponed is one postponement of the reboot for logged-in users.
	Postponed(users int)
}

// Params configure New.
type Params struct {
	Name string
	// Schedule holds the maintenance windows: required by periodic,
	// optional for fleet_lock (the slot is taken only inside a window).
	Schedule *Schedule
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
		return &withUsers{&Periodic{Deps: d, Schedule: *p.Schedule}, d}, nil
	case NameFleetLock:
		if d.Locker == nil {
			return nil, fmt.Errorf("strategy fleet_lock needs [updates.fleet_lock] base_url")
		}
		var s Strategy = &FleetLock{Deps: d}
		if p.Schedule != nil && len(p.Schedule.Windows) > 0 {
			s = &InWindows{Strategy: s, Deps: d, Schedule: *p.Schedule}
		}
		return &withUsers{s, d}, nil
	case NameStage:
		return Stage{}, nil
	}
	return nil, fmt.Errorf("unknown update strategy %q; use immediate, periodic, fleet_lock or stage", p.Name)
}

// withUsers ends a strategy's permission with the logged-in-user wait.
type withUsers struct {
	Strategy
	deps Deps
}

func (s *withUsers) WaitReboot(ctx context.Context) error {
	if err := s.Strategy.WaitReboot(ctx); err != nil {
		return err
	}
	return waitForUsers(ctx, s.deps)
}

// Stage never reboots: the agent downloads and stages updates and reports
// them; the administrator reboots to apply them.
type Stage struct{}

func (Stage) Name() string                           { return NameStage }
func (Stage) WaitReboot(ctx context.Context) error   { return ErrNoReboot }
func (Stage) ReportSteady(ctx context.Context) error { return nil }
