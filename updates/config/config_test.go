package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, root, rel, text string) {
	t.Helper()
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDefaults(t *testing.T) {
	c, err := Load(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if c.Agent.Timing.SteadyIntervalSecs != 300 || c.Identity.Group != "default" || !c.Updates.Enabled ||
		c.Updates.Strategy != "immediate" || c.Updates.AllowDowngrade || c.Updates.Periodic.TimeZone != "UTC" {
		t.Errorf("Load(empty) = %+v, want zincati's defaults", c)
	}
}

func TestMerge(t *testing.T) {
	root := t.TempDir()
	write(t, root, "usr/lib/altcos-updated/config.d/10-agent.toml", "[agent.timing]\nsteady_interval_secs = 600\n")
	write(t, root, "usr/lib/altcos-updated/config.d/30-updates-strategy.toml", "[updates]\nstrategy = \"fleet_lock\"\n")
	write(t, root, "usr/lib/altcos-updated/config.d/50-cincinnati.toml", "[cincinnati]\nbase_url = \"https://updates.example/\"\n")
	// /etc hides the /usr/lib file of the same name...
	write(t, root, "etc/altcos-updated/config.d/30-updates-strategy.toml", `[updates]
strategy = "periodic"
[updates.periodic]
time_zone = "Europe/Moscow"
[[updates.periodic.window]]
days = ["Sat", "Sun"]
start_time = "23:30"
length_minutes = 60
`)
	// ...windows from several files add up, later keys win...
	write(t, root, "etc/altcos-updated/config.d/40-more-windows.toml", "[[updates.periodic.window]]\ndays = [\"Wed\"]\nstart_time = \"01:00\"\nlength_minutes = 30\n")
	write(t, root, "run/altcos-updated/config.d/90-group.toml", "[identity]\ngroup = \"workers\"\nrollout_wariness = 0.25\n")
	// ...a /dev/null link masks, other extensions are ignored.
	if err := os.Symlink("/dev/null", filepath.Join(root, "run/altcos-updated/config.d/50-cincinnati.toml")); err != nil {
		t.Fatal(err)
	}
	write(t, root, "etc/altcos-updated/config.d/README", "not toml")
	c, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	if c.Agent.Timing.SteadyIntervalSecs != 600 || c.Updates.Strategy != "periodic" || c.Identity.Group != "workers" ||
		c.Cincinnati.BaseURL != "" || *c.Identity.RolloutWariness != 0.25 {
		t.Errorf("Load() = %+v", c)
	}
	if n := len(c.Updates.Periodic.Window); n != 2 {
		t.Errorf("Load() windows = %d, want 2", n)
	}
	s, err := c.Schedule()
	if err != nil || len(s.Windows) != 3 || s.Loc.String() != "Europe/Moscow" {
		t.Errorf("Schedule() = %+v, %v, want 3 windows in Europe/Moscow", s, err)
	}
	if len(c.Files) != 4 {
		t.Errorf("Files = %v, want 4 files", c.Files)
	}
}

// TestBadInputAgentConfig: agent TOML drop-ins, each row a bad one and the
// exact refusal (TestBadBounds has the numeric bounds and URLs).
func TestBadInputAgentConfig(t *testing.T) {
	const window = "[[updates.periodic.window]]\ndays=[\"Mon\"]\nstart_time=\"01:00\"\n"
	tests := []struct {
		name, text, wantIn string
	}{
		{"unknown strategy", "[updates]\nstrategy = \"yolo\"\n", `[updates] strategy = "yolo"; want immediate, periodic, fleet_lock or stage`},
		{"periodic without windows", "[updates]\nstrategy = \"periodic\"\n", "strategy periodic needs at least one [[updates.periodic.window]]"},
		{"bad window time", "[updates]\nstrategy = \"periodic\"\n[[updates.periodic.window]]\ndays=[\"Mon\"]\nstart_time=\"25:00\"\nlength_minutes=10\n", `#1: maintenance window start_time "25:00"; want hh:mm`},
		{"bad window day", "[updates]\nstrategy = \"periodic\"\n[[updates.periodic.window]]\ndays=[\"Xyz\"]\nstart_time=\"01:00\"\nlength_minutes=10\n", `maintenance window day "Xyz"; want Mon..Sun`},
		{"zero length", "[updates]\nstrategy = \"periodic\"\n" + window + "length_minutes=0\n", "length_minutes = 0; want 1 to 10080"},
		{"huge length", "[updates]\nstrategy = \"periodic\"\n" + window + "length_minutes=100000000000\n", "length_minutes = 100000000000; want 1 to 10080"},
		{"bad zone", "[updates]\nstrategy = \"periodic\"\n[updates.periodic]\ntime_zone=\"Mars/Base\"\n" + window + "length_minutes=10\n", `time_zone "Mars/Base" is not an IANA time zone name`},
		{"fleet_lock without url", "[updates]\nstrategy = \"fleet_lock\"\n", "strategy fleet_lock needs [updates.fleet_lock] base_url"},
		{"unknown key", "[updates]\nstrategery = \"immediate\"\n", `99-x.toml: unknown key "updates.strategery"`},
		{"bad group", "[identity]\ngroup = \"a b\"\n", `[identity] group = "a b"; want letters, digits, '.' and '-' only`},
		{"node_uuid with newline", "[identity]\nnode_uuid = \"n1\\nx\"\n", `[identity] node_uuid: client id "n1\nx" holds '\n'`},
		{"wariness", "[identity]\nrollout_wariness = 2.0\n", "rollout_wariness = 2; want a number from 0.0 to 1.0"},
		{"zero interval", "[agent.timing]\nsteady_interval_secs = 0\n", "steady_interval_secs = 0; want 1 to 604800"},
		{"not toml", "[updates\n", "99-x.toml: toml: line 2"},
		{"wrong type", "[agent.timing]\nsteady_interval_secs = \"5m\"\n", "99-x.toml: toml: line 2"},
	}
	for _, tt := range tests {
		root := t.TempDir()
		write(t, root, "etc/altcos-updated/config.d/99-x.toml", tt.text)
		_, err := Load(root)
		if err == nil || !strings.Contains(err.Error(), tt.wantIn) {
			t.Errorf("%s: Load() error = %v, want one containing %q", tt.name, err, tt.wantIn)
		}
	}
}

// TestBadBounds: numbers that would overflow a time.Duration or make no
// sense, and URLs the agent cannot use, are refused when the config loads,
// not at reboot time.
func TestBadBounds(t *testing.T) {
	for _, tt := range []struct{ text, want string }{
		{"[agent.timing]\nsteady_interval_secs = 10000000000\n", "steady_interval_secs = 10000000000; want 1 to 604800"},
		{"[agent.timing]\nsteady_interval_secs = 604801\n", "want 1 to 604800"},
		{"[health]\ntimeout_secs = 10000000000\n", "timeout_secs = 10000000000; want 1 to 86400"},
		{"[identity]\nrollout_wariness = nan\n", "rollout_wariness = NaN; want a number from 0.0 to 1.0"},
		{"[identity]\nrollout_wariness = inf\n", "rollout_wariness = +Inf; want a number from 0.0 to 1.0"},
		{"[updates]\nstrategy = \"fleet_lock\"\n[updates.fleet_lock]\nbase_url = \"ftp://x\"\n", `base_url = "ftp://x"; want an http:// or https:// URL with a host`},
		{"[updates]\nstrategy = \"fleet_lock\"\n[updates.fleet_lock]\nbase_url = \"::::\"\n", `base_url = "::::"; want an http:// or https:// URL with a host`},
		{"[updates]\nstrategy = \"fleet_lock\"\n[updates.fleet_lock]\nbase_url = \"http:///v1\"\n", "with a host"},
		{"[cincinnati]\nbase_url = \"file:///etc/passwd\"\n", `[cincinnati] base_url = "file:///etc/passwd"; want an http:// or https:// URL`},
	} {
		root := t.TempDir()
		write(t, root, "etc/altcos-updated/config.d/99-x.toml", tt.text)
		c, err := Load(root)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			got := ""
			if c != nil {
				got = fmt.Sprintf("steady %v, health %v", c.SteadyInterval(), c.HealthTimeout())
			}
			t.Errorf("Load(%q) = %s, %v, want an error containing %q", tt.text, got, err, tt.want)
		}
	}
}

func TestNodeUUID(t *testing.T) {
	// Vector from `systemd-id128 machine-id -a 7c4f0e6a2d1b4b8e9a35c2f1d6e0b871`
	// on a machine whose /etc/machine-id is 3d1219c7c4c5404aaa1f6d2a48adfda4.
	got, err := AppSpecificID("3d1219c7c4c5404aaa1f6d2a48adfda4", AppID)
	if err != nil || got != "758de9311291499087ab8420ab0a87d0" {
		t.Errorf("AppSpecificID() = %q, %v, want 758de9311291499087ab8420ab0a87d0", got, err)
	}
	root := t.TempDir()
	write(t, root, "etc/machine-id", "3d1219c7c4c5404aaa1f6d2a48adfda4\n")
	c := Defaults()
	if id, err := c.NodeUUID(root); err != nil || id != got {
		t.Errorf("NodeUUID() = %q, %v, want %q", id, err, got)
	}
	c.Identity.NodeUUID = "fixed"
	if id, _ := c.NodeUUID(root); id != "fixed" {
		t.Errorf("NodeUUID() = %q, want the configured one", id)
	}
	if _, err := AppSpecificID("nothex", AppID); err == nil {
		t.Error("AppSpecificID(nothex) = nil error")
	}
}

// TestShippedDefaults: the drop-ins the OS ships (osfiles/) load, and give
// zincati's defaults.
func TestShippedDefaults(t *testing.T) {
	c, err := Load("../../osfiles")
	if err != nil {
		t.Fatalf("Load(osfiles) = %v", err)
	}
	if len(c.Files) < 5 || c.Updates.Strategy != "immediate" || c.Agent.Timing.SteadyIntervalSecs != 300 ||
		c.Cincinnati.BaseURL == "" || len(c.Health.Units) == 0 || c.Identity.Group != "default" {
		t.Errorf("Load(osfiles) = %+v", c)
	}
}
