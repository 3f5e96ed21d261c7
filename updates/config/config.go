// Package config reads the update agent's configuration: TOML drop-ins in
// /usr/lib/altcos-updated/config.d (the OS's defaults), /etc/altcos-updated/config.d
// (the administrator's) and /run/altcos-updated/config.d (runtime), merged
// the way zincati merges its own: only *.toml files; a file name in a later
// directory hides the same name in an earlier one (a symlink to /dev/null
// hides it for good); files are applied in lexical order of their names, and
// a later key overrides an earlier one, while [[updates.periodic.window]]
// entries add up. The keys and defaults are zincati's, plus [health] and
// [metrics], which zincati does not have.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/altcos/altcos-tools/updates/fleetlock"
	"github.com/altcos/altcos-tools/updates/strategy"
)

// Dirs are the drop-in directories, lowest priority first (relative to the root).
var Dirs = []string{
	"usr/lib/altcos-updated/config.d",
	"etc/altcos-updated/config.d",
	"run/altcos-updated/config.d",
}

// Config is the merged configuration.
type Config struct {
	Agent struct {
		Timing struct {
			SteadyIntervalSecs int `toml:"steady_interval_secs"`
		} `toml:"timing"`
	} `toml:"agent"`
	Identity struct {
		Group           string   `toml:"group"`
		NodeUUID        string   `toml:"node_uuid"`
		RolloutWariness *float64 `toml:"rollout_wariness"`
	} `toml:"identity"`
	Cincinnati struct {
		BaseURL string `toml:"base_url"`
	} `toml:"cincinnati"`
	Updates struct {
		Enabled        bool   `toml:"enabled"`
		Strategy       string `toml:"strategy"`
		AllowDowngrade bool   `toml:"allow_downgrade"`
		Periodic       struct {
			TimeZone string   `toml:"time_zone"`
			Window   []Window `toml:"window"`
		} `toml:"periodic"`
		FleetLock struct {
			BaseURL string `toml:"base_url"`
		} `toml:"fleet_lock"`
	} `toml:"updates"`
	// Health is ALTCOS's own: after booting into an update, these units must
	// be active within TimeoutSecs, or the agent rolls back.
	Health struct {
		Units       []string `toml:"units"`
		TimeoutSecs int      `toml:"timeout_secs"`
	} `toml:"health"`
	Metrics struct {
		// Listen is the local address of the Prometheus text endpoint; "" turns it off.
		Listen string `toml:"listen"`
	} `toml:"metrics"`

	// Files lists the drop-ins read, in the order applied.
	Files []string `toml:"-"`
}

// Window is one [[updates.periodic.window]] entry.
type Window struct {
	Days          []string `toml:"days"`
	StartTime     string   `toml:"start_time"`
	LengthMinutes int      `toml:"length_minutes"`
}

// Defaults returns zincati's defaults (and ALTCOS's for its own keys).
func Defaults() Config {
	var c Config
	c.Agent.Timing.SteadyIntervalSecs = 300
	c.Identity.Group = "default"
	c.Updates.Enabled = true
	c.Updates.Strategy = strategy.NameImmediate
	c.Updates.Periodic.TimeZone = "UTC"
	c.Health.TimeoutSecs = 300
	c.Metrics.Listen = "127.0.0.1:9810"
	return c
}

// Load reads and validates the drop-ins under root ("/" on a real system).
func Load(root string) (*Config, error) {
	files, err := dropins(root)
	if err != nil {
		return nil, err
	}
	c := Defaults()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read config %s: %w", f, err)
		}
		if err := c.apply(data, f); err != nil {
			return nil, err
		}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Parse reads one drop-in (name is how errors call it) over the defaults
// and validates the result, as Load does for a single file.
func Parse(data []byte, name string) (*Config, error) {
	c := Defaults()
	if err := c.apply(data, name); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// apply merges the drop-in data over c: later keys win, windows add up.
func (c *Config) apply(data []byte, name string) error {
	prev := c.Updates.Periodic.Window
	c.Updates.Periodic.Window = nil
	md, err := toml.Decode(string(data), c)
	if err != nil {
		return fmt.Errorf("config %s: %w", name, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return fmt.Errorf("config %s: unknown key %q; see /usr/lib/altcos-updated/config.d for the known ones", name, und[0].String())
	}
	c.Updates.Periodic.Window = append(prev, c.Updates.Periodic.Window...)
	c.Files = append(c.Files, name)
	return nil
}

// dropins lists the effective *.toml files in application order.
func dropins(root string) ([]string, error) {
	byName := map[string]string{}
	for _, d := range Dirs {
		dir := filepath.Join(root, d)
		ents, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read config directory %s: %w", dir, err)
		}
		for _, e := range ents {
			if !strings.HasSuffix(e.Name(), ".toml") || e.IsDir() {
				continue
			}
			byName[e.Name()] = filepath.Join(dir, e.Name())
		}
	}
	names := make([]string, 0, len(byName))
	for n, p := range byName {
		if t, err := os.Readlink(p); err == nil && t == "/dev/null" {
			continue // masked
		}
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = byName[n]
	}
	return out, nil
}

var groupRE = regexp.MustCompile(`^[a-zA-Z0-9.-]+$`)

// Bounds of the durations: beyond them a number of seconds is a mistake (and
// at 2^63 ns, about 292 years, it would wrap to a negative time.Duration: a
// tight polling loop, or a health check failing at once).
const (
	MaxSteadyIntervalSecs = 7 * 24 * 3600 // a week between update checks
	MaxHealthTimeoutSecs  = 24 * 3600     // a day for the health units
)

// Validate checks the values that would otherwise fail later, at reboot time.
func (c *Config) Validate() error {
	if n := c.Agent.Timing.SteadyIntervalSecs; n <= 0 || n > MaxSteadyIntervalSecs {
		return fmt.Errorf("config: [agent.timing] steady_interval_secs = %d; want 1 to %d (a week) seconds", n, MaxSteadyIntervalSecs)
	}
	if !groupRE.MatchString(c.Identity.Group) {
		return fmt.Errorf("config: [identity] group = %q; want letters, digits, '.' and '-' only", c.Identity.Group)
	}
	// The node id is the FleetLock client id: the lock service refuses
	// others, at reboot time.
	if id := c.Identity.NodeUUID; id != "" {
		if err := (fleetlock.ClientParams{ID: id, Group: c.Identity.Group}).Validate(); err != nil {
			return fmt.Errorf("config: [identity] node_uuid: %v", err)
		}
	}
	// NaN compares false with everything: only an explicit range check refuses it.
	if w := c.Identity.RolloutWariness; w != nil && !(*w >= 0 && *w <= 1) {
		return fmt.Errorf("config: [identity] rollout_wariness = %g; want a number from 0.0 to 1.0", *w)
	}
	if u := c.Cincinnati.BaseURL; u != "" {
		if err := checkHTTPURL(u); err != nil {
			return fmt.Errorf("config: [cincinnati] base_url = %q; want an http:// or https:// URL with a host (%v)", u, err)
		}
	}
	if u := c.Updates.FleetLock.BaseURL; u != "" {
		if err := checkHTTPURL(u); err != nil {
			return fmt.Errorf("config: [updates.fleet_lock] base_url = %q; want an http:// or https:// URL with a host (%v)", u, err)
		}
	}
	switch c.Updates.Strategy {
	case strategy.NameImmediate, strategy.NameStage:
	case strategy.NamePeriodic:
		if _, err := c.Schedule(); err != nil {
			return err
		}
	case strategy.NameFleetLock:
		if c.Updates.FleetLock.BaseURL == "" {
			return errors.New("config: strategy fleet_lock needs [updates.fleet_lock] base_url")
		}
		// fleet_lock honours [[updates.periodic.window]] entries when there are some.
		if len(c.Updates.Periodic.Window) > 0 {
			if _, err := c.Schedule(); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("config: [updates] strategy = %q; want immediate, periodic, fleet_lock or stage", c.Updates.Strategy)
	}
	if n := c.Health.TimeoutSecs; n <= 0 || n > MaxHealthTimeoutSecs {
		return fmt.Errorf("config: [health] timeout_secs = %d; want 1 to %d (a day) seconds", n, MaxHealthTimeoutSecs)
	}
	return nil
}

// checkHTTPURL accepts an absolute http or https URL with a host.
func checkHTTPURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("scheme %q", u.Scheme)
	}
	if u.Hostname() == "" {
		return errors.New("no host")
	}
	return nil
}

// Schedule is the periodic strategy's windows in their time zone.
func (c *Config) Schedule() (*strategy.Schedule, error) {
	loc, err := strategy.LoadZone(c.Updates.Periodic.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("config: [updates.periodic] %w", err)
	}
	s := &strategy.Schedule{Loc: loc}
	for i, w := range c.Updates.Periodic.Window {
		ws, err := strategy.ParseWindows(w.Days, w.StartTime, w.LengthMinutes)
		if err != nil {
			return nil, fmt.Errorf("config: [[updates.periodic.window]] #%d: %w", i+1, err)
		}
		s.Windows = append(s.Windows, ws...)
	}
	if len(s.Windows) == 0 {
		return nil, errors.New("config: strategy periodic needs at least one [[updates.periodic.window]]")
	}
	return s, nil
}

// SteadyInterval is the pause between update checks.
func (c *Config) SteadyInterval() time.Duration {
	return time.Duration(c.Agent.Timing.SteadyIntervalSecs) * time.Second
}

// HealthTimeout bounds how long the health checks wait for units.
func (c *Config) HealthTimeout() time.Duration {
	return time.Duration(c.Health.TimeoutSecs) * time.Second
}
