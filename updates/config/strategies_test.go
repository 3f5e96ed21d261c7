package config

import (
	"strings"
	"testing"
)

// TestStageAndFleetLockWindows: strategy "stage" is known; fleet_lock takes
// [[updates.periodic.window]] entries (optional) and checks them.
func TestStageAndFleetLockWindows(t *testing.T) {
	root := t.TempDir()
	write(t, root, "etc/altcos-updated/config.d/50.toml", "[updates]\nstrategy = \"stage\"\n")
	if c, err := Load(root); err != nil || c.Updates.Strategy != "stage" {
		t.Errorf("Load(stage) = %v, %v", c, err)
	}
	write(t, root, "etc/altcos-updated/config.d/50.toml", "[updates]\nstrategy = \"fleet_lock\"\n[updates.fleet_lock]\nbase_url = \"http://lock:3333\"\n"+
		"[[updates.periodic.window]]\ndays = [\"Sat\"]\nstart_time = \"22:30\"\nlength_minutes = 60\n")
	c, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := c.Schedule(); err != nil || len(s.Windows) != 1 {
		t.Errorf("fleet_lock schedule = %+v, %v; want one window", s, err)
	}
	write(t, root, "etc/altcos-updated/config.d/60.toml", "[[updates.periodic.window]]\ndays = [\"Caturday\"]\nstart_time = \"22:30\"\nlength_minutes = 60\n")
	if _, err := Load(root); err == nil || !strings.Contains(err.Error(), "Caturday") {
		t.Errorf("Load(fleet_lock with a bad window) = %v, want an error naming the day", err)
	}
}
