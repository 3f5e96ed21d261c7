package iso

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/initramfs/live"
	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
)

func TestKargsEdit(t *testing.T) {
	built := []string{"altcos.test=1", "quiet", "loglevel=3", "loglevel=4"}
	tests := []struct {
		name string
		e    KargsEdit
		want []string
		err  string
	}{
		{"append", KargsEdit{Append: []string{"a=b", "c"}}, append(built[:4:4], "a=b", "c"), ""},
		{"delete exact", KargsEdit{Delete: []string{"loglevel=3"}}, []string{"altcos.test=1", "quiet", "loglevel=4"}, ""},
		{"delete every value of a key", KargsEdit{Delete: []string{"loglevel"}}, []string{"altcos.test=1", "quiet"}, ""},
		{"replace", KargsEdit{Replace: []string{"altcos.test=1=2"}}, []string{"altcos.test=2", "quiet", "loglevel=3", "loglevel=4"}, ""},
		{"delete, replace, append in order", KargsEdit{Append: []string{"loglevel=7"}, Delete: []string{"loglevel"}, Replace: []string{"quiet==x"}}, nil, "quiet= is not on the ISO"},
		{"delete all", KargsEdit{Delete: []string{"altcos.test", "quiet", "loglevel"}}, nil, ""},
		{"delete missing", KargsEdit{Delete: []string{"splash"}}, nil, "splash is not on the ISO"},
		{"delete a label", KargsEdit{Delete: []string{"altcos.live.label"}}, nil, "cannot be changed"},
		{"replace missing old", KargsEdit{Replace: []string{"altcos.test=9=2"}}, nil, "altcos.test=9 is not on the ISO"},
		{"replace without new", KargsEdit{Replace: []string{"altcos.test=1"}}, nil, "KEY=OLD=NEW"},
		{"append two args", KargsEdit{Append: []string{"a b"}}, nil, "one KEY or KEY=VALUE"},
		{"append empty", KargsEdit{Append: []string{""}}, nil, "one KEY or KEY=VALUE"},
	}
	for _, tt := range tests {
		got, err := tt.e.Apply(built)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: Apply = %q, %v, want an error containing %q", tt.name, got, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Apply(%q) = %q, %v, want %q", tt.name, built, got, err, tt.want)
		}
	}
}

// TestCustomizeRoundTrips builds a small ISO with the project's code, then
// customizes it with every option, changes it part by part and resets it:
// each step reads back with Inspect, and the reset ISO reads as the built one.
func TestCustomizeRoundTrips(t *testing.T) {
	tooltest.Tools(t, "xorriso", "grub-mkimage")
	t.Setenv("SOURCE_DATE_EPOCH", "1795000000")
	f := newISOFixture(t, true)
	dir := t.TempDir()
	ctx := context.Background()
	built := filepath.Join(dir, "live.iso")
	if err := Build(ctx, f.options(built)); err != nil {
		t.Fatalf("Build = %v", err)
	}
	want, err := Inspect(built)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, data string, mode os.FileMode) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cfg := `{"ignition":{"version":"3.3.0"},"passwd":{"users":[{"name":"altcos","sshAuthorizedKeys":["ssh-ed25519 AAAA"]}]}}`
	ign := write("config.ign", cfg, 0o600)
	pre := write("check.sh", "#!/bin/sh\ntest -b \"$ALTCOS_INSTALL_DEV\"\n", 0o644)
	post := write("tag.sh", "#!/bin/sh\necho tagged > \"$ALTCOS_INSTALL_SYSROOT/tag\"\n", 0o755)
	disk := write("disk.yaml", "dest-device: /dev/vdb\nconsole: [tty0]\n", 0o644)
	kargs := write("kargs.yml", "append-karg: [quiet]\n", 0o644)
	full := CustomizeOptions{Input: built, Output: filepath.Join(dir, "custom.iso"), IgnitionFile: ign,
		DestConsole: []string{"ttyS0,115200n8"}, DeleteKargs: []string{"mitigations=auto"}, PreInstall: []string{pre}, PostInstall: []string{post},
		InstallerConfigs: []string{disk, kargs}, LiveArgs: []string{"altcos.inst.skip_reboot"}, LiveReplaceArgs: []string{"altcos.test=1=2"}}
	inspect := func(p string) *Contents {
		t.Helper()
		c, err := Inspect(p)
		if err != nil {
			t.Fatalf("Inspect(%s) = %v", p, err)
		}
		return c
	}

	t.Run("customize with every option", func(t *testing.T) {
		if err := Customize(ctx, full); err != nil {
			t.Fatalf("Customize = %v", err)
		}
		c := inspect(full.Output)
		wantC := &live.Customization{Format: 1, Ignition: true, DeleteKargs: full.DeleteKargs, DestConsole: full.DestConsole,
			PreInstall: []string{"pre-install-1-check.sh"}, PostInstall: []string{"post-install-1-tag.sh"}, InstallerConfigs: []string{"01-disk.yaml", "02-kargs.yaml"}}
		if !reflect.DeepEqual(c.Customization, wantC) {
			t.Errorf("Inspect(customized).Customization = %+v, want %+v", c.Customization, wantC)
		}
		wantFiles := map[string][]byte{
			"hooks/pre-install-1-check.sh": readFile(t, pre), "hooks/post-install-1-tag.sh": readFile(t, post),
			"installer.d/01-disk.yaml": readFile(t, disk), "installer.d/02-kargs.yaml": readFile(t, kargs),
		}
		if !reflect.DeepEqual(c.Files, wantFiles) {
			t.Errorf("Inspect(customized).Files = %q, want %q", c.Files, wantFiles)
		}
		if !bytes.Equal(bytes.TrimSpace(c.Ignition), []byte(cfg)) {
			t.Errorf("Inspect(customized).Ignition = %s, want %s", c.Ignition, cfg)
		}
		if got := c.Info.LiveArgs; !reflect.DeepEqual(got, []string{"altcos.test=2", "altcos.inst.skip_reboot"}) {
			t.Errorf("customized live args = %q, want altcos.test replaced and skip_reboot appended", got)
		}
		for _, menu := range []string{c.BIOSMenu, c.EFIMenu} {
			if !strings.Contains(menu, "altcos.test=2 altcos.inst.skip_reboot") || strings.Contains(menu, "altcos.test=1") {
				t.Errorf("customized menu:\n%s\nwant the edited live args", menu)
			}
		}
		// Hooks stay executable on the medium (Rock Ridge modes).
		out, err := run.Output(ctx, nil, run.Cmd{Argv: []string{"xorriso", "-indev", full.Output, "-lsl", "/altcos/hooks/pre-install-1-check.sh"}})
		if err != nil || !strings.Contains(string(out), "-rwxr-xr-x") {
			t.Errorf("xorriso -lsl of the pre-install hook = %s (%v), want -rwxr-xr-x", out, err)
		}
		if err := Customize(ctx, CustomizeOptions{Input: full.Output, Output: filepath.Join(dir, "twice.iso"), DestDevice: "/dev/vda"}); err == nil ||
			!strings.Contains(err.Error(), "customized already") {
			t.Errorf("Customize(a customized ISO) = %v, want it refused (reset first)", err)
		}
	})

	t.Run("ignition show, embed, remove", func(t *testing.T) {
		o := EditOptions{Input: full.Output, Output: filepath.Join(dir, "ign.iso")}
		other := []byte(`{"ignition":{"version":"3.2.0"}}`)
		if err := EmbedIgnition(ctx, o, other, "other.ign", false); err == nil || !strings.Contains(err.Error(), "--force") {
			t.Errorf("EmbedIgnition(over a config, no force) = %v, want a refusal naming --force", err)
		}
		if err := EmbedIgnition(ctx, o, other, "other.ign", true); err != nil {
			t.Fatalf("EmbedIgnition(force) = %v", err)
		}
		c := inspect(o.Output)
		if !bytes.Contains(c.Ignition, []byte(`"3.2.0"`)) || len(c.Customization.InstallerConfigs) != 2 {
			t.Errorf("after embed: Ignition %s, customization %+v; want the new config and the rest kept", c.Ignition, c.Customization)
		}
		in := EditOptions{Input: o.Output, Output: o.Output} // in place
		if err := RemoveIgnition(ctx, in); err != nil {
			t.Fatalf("RemoveIgnition = %v", err)
		}
		c = inspect(o.Output)
		if c.Ignition != nil || c.Customization == nil || c.Customization.Ignition || len(c.Files) != 4 {
			t.Errorf("after remove: Ignition %q, customization %+v, files %d; want no config and the rest kept", c.Ignition, c.Customization, len(c.Files))
		}
		// On the built ISO: embed, then remove, gives back the built ISO.
		bo := EditOptions{Input: built, Output: filepath.Join(dir, "ign-only.iso")}
		if err := EmbedIgnition(ctx, bo, []byte(cfg), "config.ign", false); err != nil {
			t.Fatalf("EmbedIgnition(built) = %v", err)
		}
		if c := inspect(bo.Output); !reflect.DeepEqual(c.Customization, &live.Customization{Format: 1, Ignition: true}) || c.Customization.Starts() {
			t.Errorf("EmbedIgnition(built): customization %+v, want the config only (no install by itself)", c.Customization)
		}
		if err := RemoveIgnition(ctx, EditOptions{Input: bo.Output}); err != nil {
			t.Fatal(err)
		}
		if got := inspect(bo.Output); !reflect.DeepEqual(got, want) {
			t.Errorf("embed then remove = %+v, want the built ISO's %+v", got, want)
		}
		if err := EmbedIgnition(ctx, EditOptions{Input: built, Output: filepath.Join(dir, "bad.iso")}, []byte(`{"ignition":{"version":"3.5.0"}}`), "new.ign", false); err == nil ||
			!strings.Contains(err.Error(), "new.ign does not validate") {
			t.Errorf("EmbedIgnition(spec 3.5 for a 3.3 OS) = %v, want a validation error naming the file", err)
		}
		assertNoOutput(t, filepath.Join(dir, "bad.iso"))
	})

	t.Run("kargs modify, reset", func(t *testing.T) {
		o := EditOptions{Input: built, Output: filepath.Join(dir, "kargs.iso")}
		if err := ModifyKargs(ctx, o, KargsEdit{Append: []string{"x=y"}, Delete: []string{"altcos.test"}}); err != nil {
			t.Fatalf("ModifyKargs = %v", err)
		}
		c := inspect(o.Output)
		if !reflect.DeepEqual(c.Info.LiveArgs, []string{"x=y"}) || c.Info.BuiltLiveArgs == nil || !reflect.DeepEqual(*c.Info.BuiltLiveArgs, []string{"altcos.test=1"}) {
			t.Errorf("after modify: live args %q, as built %v; want [x=y] and [altcos.test=1]", c.Info.LiveArgs, c.Info.BuiltLiveArgs)
		}
		if strings.Contains(c.BIOSMenu, "altcos.test") || !strings.Contains(c.EFIMenu, " x=y") {
			t.Errorf("menu after modify:\n%s", c.EFIMenu)
		}
		if err := ResetKargs(ctx, EditOptions{Input: o.Output}); err != nil {
			t.Fatalf("ResetKargs = %v", err)
		}
		if got := inspect(o.Output); !reflect.DeepEqual(got, want) {
			t.Errorf("modify then reset = %+v, want the built ISO's %+v", got, want)
		}
	})

	t.Run("reset drops everything", func(t *testing.T) {
		o := EditOptions{Input: full.Output, Output: filepath.Join(dir, "reset.iso")}
		if err := Reset(ctx, o); err != nil {
			t.Fatalf("Reset = %v", err)
		}
		if got := inspect(o.Output); !reflect.DeepEqual(got, want) {
			t.Errorf("Reset(customized) = %+v, want the built ISO's %+v", got, want)
		}
		out, err := run.Output(ctx, nil, run.Cmd{Argv: []string{"xorriso", "-indev", o.Output, "-find", "/altcos"}})
		if err != nil || !strings.Contains(string(out), "/altcos/deploy.json") || strings.Contains(string(out), "hooks") || strings.Contains(string(out), "installer.d") || strings.Contains(string(out), "config.ign") {
			t.Errorf("files of the reset ISO:\n%s (%v)\nwant no customization left", out, err)
		}
	})

	t.Run("bad input writes nothing", func(t *testing.T) {
		badYAML := write("bad.yaml", "dest-device: [\n", 0o644)
		typo := write("typo.yaml", "dest-devic: /dev/vda\n", 0o644)
		noDisk := write("nodisk.yaml", "platform: qemu\n", 0o644)
		tests := []struct {
			name string
			o    func(o *CustomizeOptions)
			want string
		}{
			{"YAML that does not parse", func(o *CustomizeOptions) { o.InstallerConfigs = []string{disk, badYAML} }, "config " + badYAML + ": not YAML"},
			{"unknown key", func(o *CustomizeOptions) { o.InstallerConfigs = []string{typo} }, typo},
			{"missing installer config", func(o *CustomizeOptions) { o.InstallerConfigs = []string{filepath.Join(dir, "nope.yaml")} }, "nope.yaml"},
			{"no disk anywhere", func(o *CustomizeOptions) { o.DestDevice, o.InstallerConfigs = "", []string{noDisk} }, "no destination device"},
			{"missing hook", func(o *CustomizeOptions) { o.PostInstall = []string{filepath.Join(dir, "gone.sh")} }, "gone.sh"},
			{"hook is a folder", func(o *CustomizeOptions) { o.PreInstall = []string{dir} }, "not a regular file"},
			{"bad console", func(o *CustomizeOptions) { o.DestConsole = []string{"ttyS0 115200"} }, `console "ttyS0 115200"`},
			{"bad dest karg", func(o *CustomizeOptions) { o.AppendKargs = []string{"a b"} }, "not one kernel argument"},
			{"bad platform", func(o *CustomizeOptions) { o.Platform = "aws" }, `platform "aws"`},
			{"relative device", func(o *CustomizeOptions) { o.DestDevice = "vda" }, "give a device path"},
			{"live delete of a missing arg", func(o *CustomizeOptions) { o.LiveDeleteArgs = []string{"splash"} }, "splash is not on the ISO"},
			{"nothing", func(o *CustomizeOptions) { *o = CustomizeOptions{Input: o.Input, Output: o.Output} }, "nothing to customize"},
		}
		for _, tt := range tests {
			out := filepath.Join(t.TempDir(), "x.iso")
			o := CustomizeOptions{Input: built, Output: out, DestDevice: "/dev/vda"}
			tt.o(&o)
			err := Customize(ctx, o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Customize(%s) = %v, want an error containing %q", tt.name, err, tt.want)
			}
			assertNoOutput(t, out)
		}
	})
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
