package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/altcos/altcos-tools/ostree"
	"github.com/altcos/altcos-tools/updates/config"
	"github.com/altcos/altcos-tools/updates/graph"
	"github.com/altcos/altcos-tools/updates/strategy"
)

// ErrRebooting is returned once the agent has asked the system to reboot.
var ErrRebooting = errors.New("rebooting")

// healthPoll is how often the health checks look at the units.
const healthPoll = 5 * time.Second

// Agent is altcos-updated: one node's update loop.
type Agent struct {
	Config    *config.Config
	System    System
	Strategy  strategy.Strategy
	NodeUUID  string
	StatePath string
	Clock     strategy.Clock
	Log       *slog.Logger
	Metrics   *Metrics
	// Platform is the ignition.platform.id the node booted with (metal,
	// qemu, ...), sent to the graph service as zincati does.
	Platform string
	// UpdateNowPath is the file `altcos-update update-now` writes; default:
	// update-now next to StatePath. nowPoll is how often a waiting agent
	// looks for it (default nowPoll).
	UpdateNowPath string
	nowPoll       time.Duration
	// stagedReported is the commit whose "staged, reboot to apply" the
	// stage strategy has logged (once per commit).
	stagedReported string
	// FetchGraph downloads the update graph; default: graph.Fetch from
	// [cincinnati] base_url.
	FetchGraph func(ctx context.Context, q graph.Query) (*graph.Graph, error)
}

func (a *Agent) defaults() {
	if a.Clock == nil {
		a.Clock = strategy.RealClock{}
	}
	if a.Log == nil {
		a.Log = slog.New(slog.DiscardHandler)
	}
	if a.Metrics == nil {
		a.Metrics = NewMetrics()
	}
	if a.StatePath == "" {
		a.StatePath = DefaultStatePath
	}
	if a.UpdateNowPath == "" {
		a.UpdateNowPath = UpdateNowPath(a.StatePath)
	}
	if a.nowPoll <= 0 {
		a.nowPoll = nowPoll
	}
	if a.FetchGraph == nil {
		base := a.Config.Cincinnati.BaseURL
		a.FetchGraph = func(ctx context.Context, q graph.Query) (*graph.Graph, error) {
			if base == "" {
				return nil, errors.New("no update graph configured; set [cincinnati] base_url in /etc/altcos-updated/config.d/")
			}
			return graph.Fetch(ctx, nil, base, q)
		}
	}
}

// Run is the daemon: the after-boot checks once, then an update check every
// steady interval. Every failure is logged with its cause and retried at the
// next interval; the booted system stays as it is. Run returns nil once it
// has asked for a reboot, or ctx's error.
func (a *Agent) Run(ctx context.Context) error {
	a.defaults()
	a.Metrics.SetConfig(a.Strategy.Name(), a.Config.Updates.Enabled)
	a.Log.Info("agent started", "strategy", a.Strategy.Name(), "interval", a.Config.SteadyInterval(), "group", a.Config.Identity.Group)
	for {
		err := a.AfterBoot(ctx)
		if errors.Is(err, ErrRebooting) {
			return nil
		}
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		a.Log.Error("after-boot checks failed; retrying later", "err", err)
		if err := a.Clock.Sleep(ctx, a.Config.SteadyInterval()); err != nil {
			return err
		}
	}
	for {
		a.Metrics.Refreshed(a.Clock.Now())
		err := a.Step(ctx)
		switch {
		case errors.Is(err, ErrRebooting):
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			a.Log.Error("update attempt failed; the booted system is unchanged; retrying later", "err", err, "in", a.Config.SteadyInterval())
		}
		// An update-now request ends the pause early; Step takes it.
		if _, err := a.waitOrNow(ctx, func(ctx context.Context) error { return a.Clock.Sleep(ctx, a.Config.SteadyInterval()) }); err != nil {
			return err
		}
	}
}

// AfterBoot checks the boot into an update, if the last reboot was one:
// health checks, then rollback and reboot when they fail. Then it reports
// the node steady to the strategy (fleet_lock releases its slot).
func (a *Agent) AfterBoot(ctx context.Context) error {
	a.defaults()
	st, err := LoadState(a.StatePath)
	if err != nil {
		return err
	}
	ds, err := a.System.Deployments(ctx)
	if err != nil {
		return err
	}
	cur := Current(ds)
	a.Metrics.SetBooted(cur.Version, cur.Checksum)
	if st.Rebooting == nil && st.Staged != "" && Booted(ds) != nil && cur.Checksum == st.Staged {
		// The administrator rebooted into the staged update (the stage
		// strategy, or a reboot by hand before the strategy allowed one):
		// it is checked like the agent's own reboots.
		st.Rebooting = &Attempt{Commit: st.Staged, Version: cur.Version, At: a.Clock.Now().UTC()}
		st.Staged = ""
	}
	if att := st.Rebooting; att != nil {
		if cur.Checksum != att.Commit {
			a.Log.Warn("the node did not boot into the update; not offering it again", "update", att.Version, "booted", cur.Version)
			st.Deny(att.Commit, "the node booted "+cur.Checksum+" instead")
			st.Rebooting = nil
			if err := st.Save(a.StatePath); err != nil {
				return err
			}
		} else {
			a.Metrics.SetState("health_check")
			if herr := a.healthCheck(ctx); herr != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				a.Metrics.Fail("health")
				a.Log.Error("update failed its health checks; rolling back and never offering it again", "update", att.Version, "err", herr)
				st.Deny(att.Commit, "health check failed: "+herr.Error())
				st.Rebooting = nil
				if err := st.Save(a.StatePath); err != nil {
					return err
				}
				return a.rollbackAndReboot(ctx, att)
			}
			a.Log.Info("update healthy", "version", att.Version)
			st.Rebooting = nil
			if err := st.Save(a.StatePath); err != nil {
				return err
			}
		}
	}
	a.Metrics.SetState("reporting_steady")
	if err := a.Strategy.ReportSteady(ctx); err != nil {
		return fmt.Errorf("report steady state: %w", err)
	}
	a.Metrics.SetState("steady")
	return nil
}

func (a *Agent) rollbackAndReboot(ctx context.Context, att *Attempt) error {
	a.Metrics.SetState("rolling_back")
	if err := a.System.Rollback(ctx); err != nil {
		a.Metrics.Fail("rollback")
		return fmt.Errorf("roll back from %s: %w; the node stays booted in it", att.Version, err)
	}
	ds, err := a.System.Deployments(ctx)
	if err != nil {
		return err
	}
	if ds[0].Checksum == att.Commit {
		return fmt.Errorf("roll back from %s: it is still the default deployment; not rebooting", att.Version)
	}
	a.Metrics.Rollback()
	if a.Strategy.Name() == strategy.NameStage {
		a.Log.Warn("rolled back; the stage strategy never reboots: reboot to leave the failed update", "default", ds[0].Version, "booted", att.Version)
		a.Metrics.SetState("staged")
		return nil
	}
	a.Log.Warn("rebooting into the previous deployment", "version", ds[0].Version)
	a.Metrics.SetState("rebooting")
	if err := a.System.Reboot(ctx); err != nil {
		return fmt.Errorf("reboot after rollback: %w", err)
	}
	return ErrRebooting
}

// healthCheck waits until every configured unit is active, failing at once
// on a failed unit and after the timeout on one that never came up.
func (a *Agent) healthCheck(ctx context.Context) error {
	units := a.Config.Health.Units
	deadline := a.Clock.Now().Add(a.Config.HealthTimeout())
	for {
		var waiting []string
		for _, u := range units {
			state, err := a.System.UnitState(ctx, u)
			if err != nil {
				return fmt.Errorf("unit %s: %w", u, err)
			}
			switch state {
			case "active":
			case "failed":
				return fmt.Errorf("unit %s failed", u)
			default:
				waiting = append(waiting, u+" ("+state+")")
			}
		}
		if len(waiting) == 0 {
			return nil
		}
		left := deadline.Sub(a.Clock.Now())
		if left <= 0 {
			return fmt.Errorf("units not active after %s: %s", a.Config.HealthTimeout(), strings.Join(waiting, ", "))
		}
		if err := a.Clock.Sleep(ctx, min(healthPoll, left)); err != nil {
			return err
		}
	}
}

// Step is one update check: find an update, stage it, wait for the strategy,
// reboot. An update already staged by an earlier Step (the agent was
// restarted before the reboot) is finalized without staging it again. An
// update-now request (altcos-update update-now) skips the strategy's wait
// once.
func (a *Agent) Step(ctx context.Context) error {
	a.defaults()
	if !a.Config.Updates.Enabled {
		a.Metrics.SetState("disabled")
		return nil
	}
	now := a.takeUpdateNow()
	st, err := LoadState(a.StatePath)
	if err != nil {
		return err
	}
	ds, err := a.System.Deployments(ctx)
	if err != nil {
		a.Metrics.Fail("status")
		return err
	}
	var u Update
	if st.Staged != "" && ds[0].Checksum == st.Staged && !ds[0].Booted {
		u = Update{Version: ds[0].Version, Commit: ds[0].Checksum}
		a.Log.Debug("update already staged", "version", u.Version)
	} else {
		found, ok, err := a.check(ctx, ds, st)
		if err != nil {
			return err
		}
		if !ok {
			a.Metrics.SetState("no_update")
			if now {
				a.Log.Info("update-now requested, but there is no update to apply")
			}
			return nil
		}
		u = found
		a.Metrics.SetState("staging")
		a.Metrics.UpdateAttempt()
		a.Log.Info("staging update", "version", u.Version, "commit", u.Commit)
		if err := Apply(ctx, a.System, Base(ds).Refspec, u); err != nil {
			a.Metrics.Fail("stage")
			return err
		}
		st.Staged = u.Commit
		if err := st.Save(a.StatePath); err != nil {
			return err
		}
		a.Metrics.Staged()
	}
	a.Metrics.SetState("waiting_reboot")
	if now {
		a.Log.Info("update-now requested: skipping the strategy's wait", "version", u.Version, "strategy", a.Strategy.Name())
	} else {
		a.Log.Info("update staged; waiting for the strategy to allow the reboot", "version", u.Version, "strategy", a.Strategy.Name())
		skipped, err := a.waitOrNow(ctx, a.Strategy.WaitReboot)
		switch {
		case skipped:
			a.takeUpdateNow()
			a.Log.Info("update-now requested: skipping the rest of the strategy's wait", "version", u.Version, "strategy", a.Strategy.Name())
		case errors.Is(err, strategy.ErrNoReboot):
			a.Metrics.SetState("staged")
			if a.stagedReported != u.Commit {
				a.stagedReported = u.Commit
				a.Log.Info("update staged, reboot to apply it (strategy "+a.Strategy.Name()+" never reboots)", "version", u.Version, "commit", u.Commit)
			}
			return nil
		case err != nil:
			a.Metrics.Fail("strategy")
			return fmt.Errorf("wait for the %s strategy: %w", a.Strategy.Name(), err)
		}
	}
	return a.reboot(ctx, st, u)
}

// reboot reboots into u, the verified default deployment.
func (a *Agent) reboot(ctx context.Context, st *State, u Update) error {
	ds, err := a.System.Deployments(ctx)
	if err != nil {
		return err
	}
	if ds[0].Checksum != u.Commit {
		st.Staged = ""
		st.Save(a.StatePath)
		return fmt.Errorf("the default deployment changed to %s while waiting to reboot into %s; not rebooting", ds[0].Checksum, u.Version)
	}
	st.Staged = ""
	st.Rebooting = &Attempt{Commit: u.Commit, Version: u.Version, From: Current(ds).Checksum, At: a.Clock.Now().UTC()}
	if err := st.Save(a.StatePath); err != nil {
		return err
	}
	a.Metrics.SetState("rebooting")
	a.Metrics.RebootAttempt()
	a.Log.Info("rebooting into the update", "version", u.Version)
	if err := a.System.Reboot(ctx); err != nil {
		a.Metrics.Fail("reboot")
		// Still staged: the next Step tries the reboot again.
		st.Staged, st.Rebooting = u.Commit, nil
		st.Save(a.StatePath)
		return fmt.Errorf("reboot into %s: %w", u.Version, err)
	}
	return ErrRebooting
}

func (a *Agent) check(ctx context.Context, ds []ostree.DeploymentEntry, st *State) (Update, bool, error) {
	base := Base(ds)
	origin, err := ParseRefspec(base.Refspec)
	if err != nil {
		a.Metrics.Fail("check")
		return Update{}, false, err
	}
	a.Metrics.SetState("checking")
	g, err := a.FetchGraph(ctx, a.Query(base, origin))
	a.Metrics.Checked(a.Clock.Now())
	if err != nil {
		a.Metrics.Fail("graph")
		return Update{}, false, fmt.Errorf("check for updates: %w", err)
	}
	a.reportDeadEnd(g, base)
	u, ok, err := FindUpdate(g, ds, st.Denied, a.Config.Updates.AllowDowngrade)
	if err != nil {
		a.Metrics.Fail("graph")
		return Update{}, false, fmt.Errorf("check for updates: %w", err)
	}
	if ok {
		a.Log.Info("update available", "version", u.Version, "from", base.Version)
	}
	return u, ok, nil
}

// Query is what the agent tells the graph service, zincati's parameters:
// the stream of base's origin, the node, its group and platform, and the
// release it runs.
func (a *Agent) Query(base ostree.DeploymentEntry, origin Origin) graph.Query {
	return graph.Query{Basearch: origin.Arch, Stream: origin.Stream, NodeUUID: a.NodeUUID,
		Wariness: a.Config.Identity.RolloutWariness, Group: a.Config.Identity.Group, Platform: a.Platform,
		OSVersion: base.Version, OSChecksum: base.Checksum}
}

// reportDeadEnd logs (once per release) and exposes a booted release that
// the graph marks as a dead end: no automatic update leads out of it.
func (a *Agent) reportDeadEnd(g *graph.Graph, base ostree.DeploymentEntry) {
	i := g.Find(base.Checksum)
	dead := i >= 0 && g.Nodes[i].DeadEnd()
	if dead && !a.Metrics.DeadEnd() {
		a.Log.Warn("the running release is a dead end: no automatic update leads out of it; move on by hand (altcos-update deploy, rebase)",
			"version", base.Version, "reason", g.Nodes[i].Metadata[graph.KeyDeadEndReason])
	}
	a.Metrics.SetDeadEnd(dead)
}
