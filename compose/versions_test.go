package compose

import (
	"github.com/altcos/altcos-tools/altcos"
	"strings"
	"testing"
	"time"
)

func day(s string) time.Time {
	t, err := time.Parse("20060102", s)
	if err != nil {
		panic(err)
	}
	return t.Add(13 * time.Hour)
}

func TestNextVersion(t *testing.T) {
	base := Packages{"bash": "5.2-2", "ignition": "2.14.0+ds1-1+b6", "podman": "4.3.1+ds1-8"}
	upgraded := Packages{"bash": "5.2-3", "ignition": "2.14.0+ds1-1+b6", "podman": "4.3.1+ds1-8"}
	added := Packages{"bash": "5.2-2", "ignition": "2.14.0+ds1-1+b6", "podman": "4.3.1+ds1-8", "curl": "7.88.1-10"}
	removed := Packages{"bash": "5.2-2", "ignition": "2.14.0+ds1-1+b6"}
	swapped := Packages{"bash": "5.2-2", "ignition": "2.14.0+ds1-1+b6", "crun": "1.8.1-1"}
	prev := &altcos.Version{Stream: "sisyphus", Date: "20261120", Major: 2, Minor: 3}
	tests := []struct {
		name       string
		prev       *altcos.Version
		prevM, cur Packages
		files      bool
		date       string
		want       string
		change     Change
	}{
		{"first commit", nil, nil, base, false, "20261125", "sisyphus.20261125.0.0", SetChanged},
		{"version upgraded", prev, base, upgraded, false, "20261125", "sisyphus.20261120.2.4", VersionsChanged},
		{"version upgraded and files", prev, base, upgraded, true, "20261125", "sisyphus.20261120.2.4", VersionsChanged},
		{"package added", prev, base, added, false, "20261125", "sisyphus.20261125.3.0", SetChanged},
		{"package added and files", prev, base, added, true, "20261125", "sisyphus.20261125.3.0", SetChanged},
		{"package removed", prev, base, removed, false, "20261125", "sisyphus.20261125.3.0", SetChanged},
		{"package swapped, same count", prev, base, swapped, false, "20261125", "sisyphus.20261125.3.0", SetChanged},
		{"added on the same day", prev, base, added, false, "20261120", "sisyphus.20261120.3.0", SetChanged},
		{"only OS files changed", prev, base, base, true, "20261125", "sisyphus.20261120.2.4", FilesChanged},
		{"nothing changed", prev, base, base, false, "20261125", "sisyphus.20261120.2.3", Unchanged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, change, err := NextVersion("sisyphus", tt.prev, tt.prevM, tt.cur, tt.files, day(tt.date))
			if err != nil {
				t.Fatalf("NextVersion() error %v", err)
			}
			if got.String() != tt.want || change != tt.change {
				t.Errorf("NextVersion(%v, %s) = %s, %v, want %s, %v", tt.prev, tt.date, got, change, tt.want, tt.change)
			}
		})
	}
}

func TestNextVersionErrors(t *testing.T) {
	prev := &altcos.Version{Stream: "sisyphus", Date: "20261125", Major: 0, Minor: 0}
	m := Packages{"a": "1"}
	tests := []struct {
		name, stream string
		prev         *altcos.Version
		date         string
		want         string
	}{
		{"date going backwards", "sisyphus", prev, "20261124", "before the date of the previous version sisyphus.20261125.0.0"},
		{"stream with a slash", "sis/yphus", nil, "20261125", `stream name "sis/yphus" is not valid`},
		{"stream with a dot", "p10.1", nil, "20261125", `stream name "p10.1" is not valid`},
		{"empty stream", "", nil, "20261125", `stream name "" is not valid`},
		{"other stream", "p10", prev, "20261125", "is not on stream p10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := NextVersion(tt.stream, tt.prev, m, Packages{"a": "2"}, false, day(tt.date))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NextVersion(%q, %v, %s) error = %v, want it to contain %q", tt.stream, tt.prev, tt.date, err, tt.want)
			}
		})
	}
}

func TestIgnitionSpec(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2.14.0+ds1-1+b6", "3.3.0"}, // Debian bookworm
		{"2.11.0-1", "3.3.0"},
		{"2.10.1-1", "3.2.0"},
		{"2.15.0-alt1", "3.4.0"},
		{"2.19.0-alt1", "3.4.0"},
		{"2.20.0-alt1", "3.5.0"},
		{"1:2.26.0-1", "3.6.0"},
		{"2.27.0", "3.6.0"},
		{"2.3.0", "3.1.0"},
		{"2.0.1", "3.0.0"},
		{"3.0.0", "3.6.0"},
	}
	for _, tt := range tests {
		got, err := IgnitionSpec(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("IgnitionSpec(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"0.35.0", "", "git"} {
		if got, err := IgnitionSpec(bad); err == nil {
			t.Errorf("IgnitionSpec(%q) = %q, want an error", bad, got)
		}
	}
}
