package bootmenu

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update): %v", err)
	}
	if got != string(want) {
		t.Errorf("menu %s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestRenderISOGolden(t *testing.T) {
	zero := 0
	tests := []struct {
		golden string
		opts   ISOOptions
	}{
		{"iso-bios.cfg", ISOOptions{Firmware: BIOS, Label: "ALTCOS-SISYPHUS-20261125-0-0"}},
		{"iso-uefi.cfg", ISOOptions{Firmware: UEFI, Label: "ALTCOS-SISYPHUS-20261125-0-0"}},
		{"iso-bios-extra.cfg", ISOOptions{Firmware: BIOS, Label: "ALTCOS-P10-20261125-1-2",
			ExtraArgs: []string{"altcos.inst.install_dev=/dev/vda", "altcos.inst.platform_id=metal"}}},
		{"iso-uefi-extra-notimeout.cfg", ISOOptions{Firmware: UEFI, Label: "ALTCOS-P10-20261125-1-2",
			ExtraArgs: []string{"altcos.inst.install_dev=/dev/nvme0n1"}, Timeout: &zero}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			got, err := RenderISO(tt.opts)
			if err != nil {
				t.Fatalf("RenderISO(%+v) = error %v, want a menu", tt.opts, err)
			}
			golden(t, tt.golden, got)
		})
	}
}

func TestISOEntries(t *testing.T) {
	m, err := ISO(ISOOptions{Firmware: BIOS, Label: "ALTCOS-X", ExtraArgs: []string{"a=b"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.Entries[m.Default].Title, "Install ALTCOS"; got != want {
		t.Errorf("ISO default entry = %q, want %q", got, want)
	}
	if m.Timeout != 10 {
		t.Errorf("ISO timeout = %d, want 10", m.Timeout)
	}
	for _, e := range m.Entries {
		if e.Linux == "" {
			continue
		}
		if got := e.Args[len(e.Args)-1]; got != "a=b" {
			t.Errorf("entry %q last arg = %q, want the extra arg a=b", e.Title, got)
		}
	}
}

func TestRenderRejects(t *testing.T) {
	ok := Entry{Title: "x", Linux: "/k"}
	tests := []struct {
		name string
		m    Menu
		want string
	}{
		{"no entries", Menu{}, "no entries"},
		{"bad default", Menu{Default: 3, Entries: []Entry{ok}}, "default 3"},
		{"quote in title", Menu{Entries: []Entry{{Title: "it's", Linux: "/k"}}}, "GRUB would misread"},
		{"semicolon in arg", Menu{Entries: []Entry{{Title: "x", Linux: "/k", Args: []string{"a;reboot"}}}}, "GRUB would misread"},
		{"blank in arg", Menu{Entries: []Entry{{Title: "x", Linux: "/k", Args: []string{"a b"}}}}, "blanks"},
		{"two kinds", Menu{Entries: []Entry{{Title: "x", Linux: "/k", Exit: true}}}, "exactly one"},
		{"no kind", Menu{Entries: []Entry{{Title: "x"}}}, "exactly one"},
		{"bad label", Menu{SearchLabel: "A'B", Entries: []Entry{ok}}, "label"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Render(tt.m)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Render(%+v) = %v, want an error containing %q", tt.m, err, tt.want)
			}
		})
	}
	if _, err := RenderISO(ISOOptions{Firmware: "coreboot", Label: "L"}); err == nil {
		t.Errorf("RenderISO(firmware coreboot) = nil error, want unknown firmware")
	}
	if _, err := RenderISO(ISOOptions{Firmware: BIOS}); err == nil {
		t.Errorf("RenderISO(no label) = nil error, want an error")
	}
}
