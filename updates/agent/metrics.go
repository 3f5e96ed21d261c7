package agent

import (
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/altcos/altcos-tools/updates/promtext"
)

// States the agent reports, in the altcos_updated_state metric.
var states = []string{"steady", "checking", "no_update", "staging", "waiting_reboot", "rebooting",
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
}

// NewMetrics returns empty metrics.
func NewMetrics() *Metrics { return &Metrics{failures: map[string]float64{}} }

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
	last := 0.0
	if !m.lastCheck.IsZero() {
		last = float64(m.lastCheck.Unix())
	}
	return []promtext.Family{
		st, fail,
		{Name: "altcos_updated_last_check_timestamp_seconds", Help: "Time of the last update graph check.", Type: "gauge", Samples: []promtext.Sample{{Value: last}}},
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
