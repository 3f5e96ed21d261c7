package updatecli

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/altcos/altcos-tools/updates/agent"
	"github.com/altcos/altcos-tools/updates/fleetlock"
	"github.com/altcos/altcos-tools/updates/strategy"
)

// configRetry is how long the daemon waits before reading a bad
// configuration again.
const configRetry = 5 * time.Minute

// runAgent is `altcos-update agent`, the update agent that
// altcos-updated.service runs, until it is stopped.
func runAgent(ctx context.Context, e *env, args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	return daemon(ctx, e, strategy.RealClock{})
}

// daemon prepares the agent from the configuration, retrying while the
// configuration is bad (the system stays as it is meanwhile), then runs it.
func daemon(ctx context.Context, e *env, clock strategy.Clock) error {
	var a *agent.Agent
	for {
		var err error
		a, err = prepare(e, clock)
		if err == nil {
			break
		}
		e.log.Error("cannot start the update agent; the booted system stays as it is; retrying", "err", err, "in", configRetry)
		if err := clock.Sleep(ctx, configRetry); err != nil {
			return err
		}
	}
	if addr := a.Config.Metrics.Listen; addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			e.log.Warn("metrics endpoint off", "listen", addr, "err", err)
		} else {
			srv := &http.Server{Handler: metricsMux(a.Metrics), ReadHeaderTimeout: 10 * time.Second}
			go srv.Serve(ln)
			defer srv.Close()
			e.log.Info("metrics endpoint", "url", "http://"+ln.Addr().String()+"/metrics")
		}
	}
	err := a.Run(ctx)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func metricsMux(m *agent.Metrics) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", m)
	return mux
}

// prepare builds the agent from the configuration under e.root.
func prepare(e *env, clock strategy.Clock) (*agent.Agent, error) {
	cfg, err := e.config()
	if err != nil {
		return nil, err
	}
	id, err := cfg.NodeUUID(e.root)
	if err != nil {
		return nil, err
	}
	metrics := agent.NewMetrics()
	deps := strategy.Deps{
		Clock:       clock,
		Sessions:    strategy.SystemSessions{Log: e.log},
		Broadcaster: strategy.TTYBroadcaster{},
		Log:         e.log,
		Events:      metrics,
	}
	p := strategy.Params{Name: cfg.Updates.Strategy}
	switch cfg.Updates.Strategy {
	case strategy.NameFleetLock:
		deps.Locker = &fleetlock.Client{BaseURL: cfg.Updates.FleetLock.BaseURL, Params: fleetlock.ClientParams{ID: id, Group: cfg.Identity.Group}}
		// Maintenance windows, when configured, bound fleet_lock too.
		if len(cfg.Updates.Periodic.Window) > 0 {
			if p.Schedule, err = cfg.Schedule(); err != nil {
				return nil, err
			}
		}
	case strategy.NamePeriodic:
		if p.Schedule, err = cfg.Schedule(); err != nil {
			return nil, err
		}
	}
	s, err := strategy.New(p, deps)
	if err != nil {
		return nil, err
	}
	return &agent.Agent{
		Config:    cfg,
		System:    e.system(),
		Strategy:  s,
		NodeUUID:  id,
		StatePath: e.state(),
		Clock:     clock,
		Log:       e.log,
		Metrics:   metrics,
		Platform:  platform(e.sysroot),
	}, nil
}

// platform is the ignition.platform.id the running system booted with
// (empty for a sysroot that is not the running system).
func platform(sysroot string) string {
	if sysroot != "/" {
		return ""
	}
	b, _ := os.ReadFile("/proc/cmdline")
	return agent.PlatformFromCmdline(string(b))
}
