package agent

import (
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/altcos/altcos-tools/updates/promtext"
)

// States the agent reports, in the altcos_updated_state metric.
var states = []string{"steady", "checking", "no_update", "staging", "waiting_reboot", "staged", "rebooting",
	"health_check", "rolling_back", "reporting_steady", "disabled"}

// Metrics are the agent's Prometheus metrics, served on a local endpoint.
type Metrics struct {
	mu                  sync.Mutex
	state               string
	lastCheck           time.Time
	checks              float64
	failures            map[string]float64
	rollbacks           float64
	staged              float64
	bootedVer, bootedCk string
	// Zincati's families that apply here (zincati's name in brackets):
	lastRefresh    time.Time             // [zincati_update_agent_last_refresh_timestamp]
	updateAttempts float64               // [zincati_rpm_ostree_deploy_attempts_total]
	reboots        float64               // [zincati_update_agent_finalization_attempts]
	deadEnd        bool                  // [zincati_cincinnati_booted_release_is_deadend]
	strategy       string                // [zincati_updates_strategy_mode]
	enabled        bool                  // [zincati_update_agent_updates_enabled]
	lockResults    map[[2]string]float64 // op, result [fleet lock requests]
	postponed      float64               // [zincati_update_agent_postponed_finalizations_total]
	activeUsers    float64               // [zincati_update_agent_finalization_detected_active_users]
}

// NewMetrics returns empty metrics.
func NewMetrics() *Metrics {
	return &Metrics{failures: map[string]float64{}, lockResults: map[[2]string]float64{}}
}

// LockResult counts one FleetLock request by its outcome (strategy.Events).
func (m *Metrics) LockResult(op string, err error) {
	res := "ok"
	if err != nil {
		res = "error"
	}
	m.mu.Lock()
	m.lockResults[[2]string{op, res}]++
	m.mu.Unlock()
}

// Postponed counts one postponement of a reboot for logged-in users
// (strategy.Events).
func (m *Metrics) Postponed(users int) {
	m.mu.Lock()
	m.postponed++
	m.activeUsers = float64(users)
	m.mu.Unlock()
}

func (m *Metrics) SetState(s string) { m.mu.Lock(); m.state = s; m.mu.Unlock() }

// State returns the current state name.
func (m *Metrics) State() string { m.mu.Lock(); defer m.mu.Unlock(); return m.state }

func (m *Metrics) Checked(t time.Time) {
	m.mu.Lock()
	m.lastCheck = t
	m.checks++
	m.mu.Unlock()
}

// Fail counts a failure of a step (graph, stage, strategy, reboot, health, rollback, ...).
func (m *Metrics) Fail(step string) { m.mu.Lock(); m.failures[step]++; m.mu.Unlock() }

// Failures returns the failure count of a step.
func (m *Metrics) Failures(step string) float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.failures[step]
}

// Refreshed marks one tick of the agent's loop.
func (m *Metrics) Refreshed(t time.Time) { m.mu.Lock(); m.lastRefresh = t; m.mu.Unlock() }

// UpdateAttempt counts one attempt to pull and deploy an update.
func (m *Metrics) UpdateAttempt() { m.mu.Lock(); m.updateAttempts++; m.mu.Unlock() }

// RebootAttempt counts one reboot into an update.
func (m *Metrics) RebootAttempt() { m.mu.Lock(); m.reboots++; m.mu.Unlock() }

// SetDeadEnd says whether the running release is a dead end of its graph.
func (m *Metrics) SetDeadEnd(v bool) { m.mu.Lock(); m.deadEnd = v; m.mu.Unlock() }

// DeadEnd reports the last SetDeadEnd.
func (m *Metrics) DeadEnd() bool { m.mu.Lock(); defer m.mu.Unlock(); return m.deadEnd }

// SetConfig records the strategy in use and whether updates are enabled.
func (m *Metrics) SetConfig(strategy string, enabled bool) {
	m.mu.Lock()
	m.strategy, m.enabled = strategy, enabled
	m.mu.Unlock()
}

func (m *Metrics) Rollback() { m.mu.Lock(); m.rollbacks++; m.mu.Unlock() }
func (m *Metrics) Staged()   { m.mu.Lock(); m.staged++; m.mu.Unlock() }

func (m *Metrics) SetBooted(version, checksum string) {
	m.mu.Lock()
	m.bootedVer, m.bootedCk = version, checksum
	m.mu.Unlock()
}

// Families renders the metrics.
func (m *Metrics) Families() []promtext.Family {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := promtext.Family{Name: "altcos_updated_state", Help: "Current state of the update agent (1 for the current one).", Type: "gauge"}
	for _, s := range states {
		v := 0.0
		if s == m.state {
			v = 1
		}
		st.Samples = append(st.Samples, promtext.Sample{Labels: [][2]string{{"state", s}}, Value: v})
	}
	fail := promtext.Family{Name: "altcos_updated_failures_total", Help: "Failed update steps.", Type: "counter"}
	steps := make([]string, 0, len(m.failures))
	for s := range m.failures {
		steps = append(steps, s)
	}
	sort.Strings(steps)
	for _, s := range steps {
		fail.Samples = append(fail.Samples, promtext.Sample{Labels: [][2]string{{"step", s}}, Value: m.failures[s]})
	}
	locks := promtext.Family{Name: "altcos_updated_lock_requests_total", Help: "FleetLock requests by operation and result.", Type: "counter"}
	keys := make([][2]string, 0, len(m.lockResults))
	for k := range m.lockResults {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
	for _, k := range keys {
		locks.Samples = append(locks.Samples, promtext.Sample{Labels: [][2]string{{"op", k[0]}, {"result", k[1]}}, Value: m.lockResults[k]})
	}
	return []promtext.Family{
		st, fail, locks,
		counter("altcos_updated_reboot_postponements_total", "Reboots postponed for logged-in users.", m.postponed),
		gauge("altcos_updated_active_users", "Logged-in users seen at the last postponement.", m.activeUsers),
		gauge("altcos_updated_last_refresh_timestamp_seconds", "Time of the agent loop's last tick.", unix(m.lastRefresh)),
		counter("altcos_updated_update_attempts_total", "Attempts to pull and deploy an update.", m.updateAttempts),
		counter("altcos_updated_reboots_total", "Reboots into an update the agent asked for.", m.reboots),
		gauge("altcos_updated_booted_deadend", "Whether the running release is a dead end of its update graph (1) or not (0).", b2f(m.deadEnd)),
		gauge("altcos_updated_updates_enabled", "Whether automatic updates are enabled.", b2f(m.enabled)),
		{Name: "altcos_updated_strategy_info", Help: "The update strategy in use.", Type: "gauge", Samples: []promtext.Sample{{Labels: [][2]string{{"strategy", m.strategy}}, Value: 1}}},
		gauge("altcos_updated_last_check_timestamp_seconds", "Time of the last update graph check.", unix(m.lastCheck)),
		{Name: "altcos_updated_checks_total", Help: "Update graph checks.", Type: "counter", Samples: []promtext.Sample{{Value: m.checks}}},
		{Name: "altcos_updated_rollbacks_total", Help: "Rollbacks after failed health checks.", Type: "counter", Samples: []promtext.Sample{{Value: m.rollbacks}}},
		{Name: "altcos_updated_staged_total", Help: "Updates staged.", Type: "counter", Samples: []promtext.Sample{{Value: m.staged}}},
		{Name: "altcos_updated_booted_info", Help: "The booted deployment.", Type: "gauge", Samples: []promtext.Sample{{Labels: [][2]string{{"version", m.bootedVer}, {"checksum", m.bootedCk}}, Value: 1}}},
	}
}

// ServeHTTP serves the metrics in the text exposition format.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", promtext.ContentType)
	promtext.Write(w, m.Families())
}

func gauge(name, help string, v float64) promtext.Family {
	return promtext.Family{Name: name, Help: help, Type: "gauge", Samples: []promtext.Sample{{Value: v}}}
}

func counter(name, help string, v float64) promtext.Family {
	return promtext.Family{Name: name, Help: help, Type: "counter", Samples: []promtext.Sample{{Value: v}}}
}

func unix(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.Unix())
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
