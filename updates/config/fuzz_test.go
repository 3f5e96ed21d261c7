package config

import (
	"net/url"
	"testing"
)

// FuzzParseConfig: Parse never panics, and what it accepts the agent can
// use: positive durations within their bounds, a wariness in [0, 1], a
// known strategy, and http(s) base URLs with a host.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		"",
		"[agent.timing]\nsteady_interval_secs = 600\n",
		"[agent.timing]\nsteady_interval_secs = 10000000000\n",
		"[health]\ntimeout_secs = -1\nunits = [\"a.service\"]\n",
		"[identity]\ngroup = \"workers\"\nrollout_wariness = nan\n",
		"[identity]\nrollout_wariness = 0.5\nnode_uuid = \"x\"\n",
		"[updates]\nstrategy = \"fleet_lock\"\n[updates.fleet_lock]\nbase_url = \"ftp://x\"\n",
		"[updates]\nstrategy = \"fleet_lock\"\n[updates.fleet_lock]\nbase_url = \"http://10.0.0.1:3333/\"\n",
		"[updates]\nstrategy = \"periodic\"\n[updates.periodic]\ntime_zone = \"Europe/Moscow\"\n[[updates.periodic.window]]\ndays = [\"Sat\"]\nstart_time = \"23:30\"\nlength_minutes = 60\n",
		"[cincinnati]\nbase_url = \"::::\"\n",
		"[metrics]\nlisten = \"\"\n",
		"[updates\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c, err := Parse([]byte(text), "fuzz.toml")
		if err != nil {
			return
		}
		if d := c.SteadyInterval(); d <= 0 || c.Agent.Timing.SteadyIntervalSecs > MaxSteadyIntervalSecs {
			t.Fatalf("Parse(%q) steady interval %v", text, d)
		}
		if d := c.HealthTimeout(); d <= 0 || c.Health.TimeoutSecs > MaxHealthTimeoutSecs {
			t.Fatalf("Parse(%q) health timeout %v", text, d)
		}
		if w := c.Identity.RolloutWariness; w != nil && !(*w >= 0 && *w <= 1) {
			t.Fatalf("Parse(%q) rollout_wariness %v", text, *w)
		}
		for _, u := range []string{c.Cincinnati.BaseURL, c.Updates.FleetLock.BaseURL} {
			if u == "" {
				continue
			}
			pu, err := url.Parse(u)
			if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Hostname() == "" {
				t.Fatalf("Parse(%q) accepted base_url %q", text, u)
			}
		}
		switch c.Updates.Strategy {
		case "immediate", "periodic", "fleet_lock":
		default:
			t.Fatalf("Parse(%q) accepted strategy %q", text, c.Updates.Strategy)
		}
		if c.Updates.Strategy == "periodic" {
			if _, err := c.Schedule(); err != nil {
				t.Fatalf("Parse(%q) accepted a periodic strategy whose schedule fails: %v", text, err)
			}
		}
	})
}
