package planconfig

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/bootmenu"
	"github.com/altcos/altcos-tools/installer"
	"github.com/altcos/altcos-tools/installer/bootloader"
)

// TestKargsTable lists every installer kernel argument: whether it is
// accepted, the plan setting it sets from a sample value, and whether it
// warns. Each coreos.inst.* that coreos-installer documents is here with
// Fedora CoreOS's meaning.
func TestKargsTable(t *testing.T) {
	tests := []struct {
		name, sample string // sample "" is the bare flag form
		key, want    string // plan key and its shown value; key "" is refused
		fcos, warns  bool
	}{
		{"install_dev", "sda", "dest-device", "/dev/sda", true, false},
		{"ignition_url", "https://h/c.ign", "ignition-url", "https://h/c.ign", true, false},
		{"image_url", "https://h/deploy.tar.zst", "image-url", "https://h/deploy.tar.zst", true, false},
		{"platform_id", "qemu", "platform", "qemu", true, false},
		{"stream", "stable", "stream", "stable", true, false}, // warns in Finish when no stream_base_url comes with it
		{"stream_base_url", "http://h:8080/streams/", "stream-base-url", "http://h:8080/streams/", false, false},
		{"save_partlabel", "data,logs*", "save-partlabel", "data logs*", true, false},
		{"save_partindex", "5-,-2,7-9", "save-partindex", "5- -2 7-9", true, false},
		{"insecure", "", "insecure", "true", true, false}, // warns in Finish, whatever its source
		{"skip_reboot", "", "no-reboot", "true", true, false},
		{"secure_ipl", "", "", "", true, false},
		{"ignition_hash", "sha256-00", "ignition-hash", "sha256-00", false, false},
		{"image_sha256", "00", "image-sha256", "00", false, false},
		{"insecure_ignition", "", "insecure-ignition", "true", false, false},
		{"append_karg", "quiet", "append-karg", "quiet", false, false},
		{"delete_karg", "rhgb", "delete-karg", "rhgb", false, false},
		{"console", "ttyS0,115200n8", "console", "ttyS0,115200n8", false, false},
		{"root_password_hash", "$y$x", "root-password-hash", "(set, not shown)", false, false},
		{"ssh_host_key", "SHA256:abc", "ssh-host-key", "SHA256:abc", false, false},
		{"pre_install", "/etc/hook", "pre-install", "/etc/hook", false, false},
		{"post_install", "/etc/hook", "post-install", "/etc/hook", false, false},
		{"copy_network", "", "copy-network", "true", false, false},
		{"network_dir", "/etc/net", "network-dir", "/etc/net", false, false},
	}
	if len(tests) != len(Kargs) {
		t.Errorf("the table lists %d kernel arguments, Kargs has %d: list every one here", len(tests), len(Kargs))
	}
	for _, tt := range tests {
		spec, ok := findKarg(tt.name)
		if !ok || spec.FCOS != tt.fcos || spec.Key != tt.key {
			t.Errorf("Kargs[%s] = %+v, %v; want key %q, FCOS %v", tt.name, spec, ok, tt.key, tt.fcos)
		}
		for _, prefix := range []string{"coreos.inst.", "altcos.inst."} {
			arg := prefix + tt.name
			if tt.sample != "" {
				arg += "=" + tt.sample
			}
			p := Defaults()
			_, err := ApplyKargs(p, arg, "cmdline")
			if tt.key == "" {
				if err == nil {
					t.Errorf("ApplyKargs(%s) = nil error, want it refused", arg)
				}
				continue
			}
			if err != nil {
				t.Errorf("ApplyKargs(%s) = %v", arg, err)
				continue
			}
			if got := show(tt.key, reflect.ValueOf(*p).Field(fields()[tt.key])); got != tt.want || p.Origin[tt.key] != "kernel argument "+prefix+tt.name {
				t.Errorf("ApplyKargs(%s): %s = %q from %q, want %q", arg, tt.key, got, p.Origin[tt.key], tt.want)
			}
			if warned := len(p.Warnings) > 0; warned != tt.warns {
				t.Errorf("ApplyKargs(%s) warnings %q, want warned %v", arg, p.Warnings, tt.warns)
			}
		}
	}
}

// TestKargsFCOSPXE: a Fedora CoreOS PXE line works unchanged; insecure
// means an unsigned image (and warns), never insecure Ignition.
func TestKargsFCOSPXE(t *testing.T) {
	p := Defaults()
	line := "initrd=x coreos.inst=yes coreos.live.rootfs_url=http://h/r.img coreos.inst.install_dev=/dev/sda coreos.inst.ignition_url=https://h/c.ign " +
		"coreos.inst.save_partlabel=data coreos.inst.save_partindex=6- coreos.inst.insecure coreos.inst.skip_reboot coreos.inst.platform_id=metal coreos.inst.secure_ipl=0"
	if u, err := ApplyKargs(p, line, "/proc/cmdline"); err != nil || !u {
		t.Fatalf("ApplyKargs(FCOS PXE line) = %v, %v; want an unattended plan", u, err)
	}
	Finish(p)
	if !p.Insecure || p.InsecureIgnition || !reflect.DeepEqual(p.SavePartLabel, []string{"data"}) || !reflect.DeepEqual(p.SavePartIndex, []string{"6-"}) || !p.NoReboot {
		t.Errorf("plan = insecure %v, insecure-ignition %v, save-partlabel %q, save-partindex %q, no-reboot %v",
			p.Insecure, p.InsecureIgnition, p.SavePartLabel, p.SavePartIndex, p.NoReboot)
	}
	if !contains(p.Warnings, InsecureWarning) || !contains(p.Warnings, "coreos.inst=yes: not needed (deprecated in Fedora CoreOS); the coreos.inst.* arguments start the install") {
		t.Errorf("warnings %q lack the insecure or the coreos.inst=yes one", p.Warnings)
	}
	if err := Validate(p); err != nil {
		t.Errorf("Validate(FCOS PXE plan) = %v", err)
	}
	// altcos.inst.insecure has Fedora CoreOS's meaning too: a plain http
	// Ignition URL still needs insecure_ignition, and the error says so.
	p = Defaults()
	ApplyKargs(p, "altcos.inst.install_dev=/dev/vda altcos.inst.ignition_url=http://h/c.ign altcos.inst.insecure", "c")
	if err := Validate(p); err == nil || !strings.Contains(err.Error(), "altcos.inst.insecure_ignition") || !strings.Contains(err.Error(), "unsigned image") {
		t.Errorf("Validate(http Ignition, altcos.inst.insecure) = %v, want a refusal naming insecure_ignition", err)
	}
	p = Defaults()
	ApplyKargs(p, "altcos.inst.install_dev=/dev/vda altcos.inst.ignition_url=http://h/c.ign altcos.inst.insecure_ignition", "c")
	if err := Validate(p); err != nil || p.Insecure {
		t.Errorf("Validate(http Ignition, altcos.inst.insecure_ignition) = %v (insecure %v), want accepted", err, p.Insecure)
	}
}

func TestValidateKeepAndHooks(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(p *installer.Plan)
		want string
	}{
		{"bad index", func(p *installer.Plan) { p.SavePartIndex = []string{"5-3"} }, "ends before it starts"},
		{"bad glob", func(p *installer.Plan) { p.SavePartLabel = []string{"[data"} }, "partition label glob"},
		{"missing hook", func(p *installer.Plan) { p.PreInstall = []string{"/nonexistent/hook"} }, "hook /nonexistent/hook: no such file or directory"},
		{"folder hook", func(p *installer.Plan) { p.PostInstall = []string{t.TempDir()} }, "is not a regular file"},
	} {
		p := valid()
		tc.set(p)
		p.Origin["save-partindex"], p.Origin["pre-install"] = "flag --save-partindex", "flag --pre-install"
		if err := Validate(p); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%s) = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

func TestDefaultConsole(t *testing.T) {
	for _, tc := range []struct {
		cmdline string
		preset  []string
		want    []string
		origin  string
	}{
		{"BOOT_IMAGE=x console=tty0 console=ttyS0,115200n8 quiet", nil, []string{"tty0", "ttyS0,115200n8"}, "live system /proc/cmdline"},
		{"console=ttyS1,9600 console=uart8250,io,0x3f8,115200", nil, []string{"ttyS1,9600"}, "live system /proc/cmdline"},
		{"quiet", nil, nil, ""},
		{"console=ttyS0", []string{"hvc0"}, []string{"hvc0"}, "flag --console"},
	} {
		p := Defaults()
		if tc.preset != nil {
			p.Console, p.Origin["console"] = tc.preset, "flag --console"
		}
		DefaultConsole(p, tc.cmdline, "/proc/cmdline")
		if !reflect.DeepEqual(p.Console, tc.want) || p.Origin["console"] != tc.origin {
			t.Errorf("DefaultConsole(%q) = %q from %q, want %q from %q", tc.cmdline, p.Console, p.Origin["console"], tc.want, tc.origin)
		}
	}
}

// TestDefaultConsoleOfISOEntries: an install started from either Linux entry
// of the ISO menu gives the installed system the live system's consoles in
// the same order (so the same /dev/console) and GRUB the serial port, so an
// install done at a serial console boots to a serial login.
func TestDefaultConsoleOfISOEntries(t *testing.T) {
	menu, err := bootmenu.ISO(bootmenu.ISOOptions{Firmware: bootmenu.UEFI, Label: "ALTCOS-X"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"install":        {"console=ttyS0,115200n8", "console=tty0"},
		"install-serial": {"console=tty0", "console=ttyS0,115200n8"},
	}
	seen := 0
	for _, e := range menu.Entries {
		if e.Linux == "" || e.ID == "rescue" {
			continue
		}
		seen++
		p := Defaults()
		DefaultConsole(p, "BOOT_IMAGE="+e.Linux+" "+strings.Join(e.Args, " "), "/proc/cmdline")
		edit := installer.KargEdit{RootUUID: "u", Console: p.Console, Append: []string{"console=ttyS0,115200n8"}}
		var got []string
		for _, a := range installer.EditKargs([]string{"ostree=/ostree/boot.1/x", "console=tty0"}, edit) {
			if strings.HasPrefix(a, "console=") {
				got = append(got, a)
			}
		}
		if !reflect.DeepEqual(got, want[e.ID]) {
			t.Errorf("entry %q: the installed system's consoles are %q, want %q", e.ID, got, want[e.ID])
		}
		if s := bootloader.SerialFromConsole(p.Console); s == nil || *s != (bootloader.Serial{Unit: 0, Speed: 115200}) {
			t.Errorf("entry %q: GRUB's serial terminal = %+v, want unit 0 at 115200", e.ID, s)
		}
	}
	if seen != len(want) {
		t.Errorf("the ISO menu has %d install entries, want %d", seen, len(want))
	}
}

// TestYAMLKeepAndHooks: installer.d files take the new settings as lists,
// as coreos-installer's config files do.
func TestYAMLKeepAndHooks(t *testing.T) {
	p := Defaults()
	doc := "save-partlabel: [data, \"logs*\"]\nsave-partindex:\n  - 5-\n  - \"-2\"\ninsecure: true\npre-install: [/etc/altcos/pre.sh]\npost-install: [/etc/altcos/post.sh]\n"
	if err := ApplyYAML(p, []byte(doc), "50-dc.yaml"); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.SavePartLabel, []string{"data", "logs*"}) || !reflect.DeepEqual(p.SavePartIndex, []string{"5-", "-2"}) || !p.Insecure ||
		!reflect.DeepEqual(p.PreInstall, []string{"/etc/altcos/pre.sh"}) || !reflect.DeepEqual(p.PostInstall, []string{"/etc/altcos/post.sh"}) {
		t.Errorf("ApplyYAML = %q %q %v %q %q", p.SavePartLabel, p.SavePartIndex, p.Insecure, p.PreInstall, p.PostInstall)
	}
	for _, k := range []string{"save-partlabel", "save-partindex", "insecure", "pre-install", "post-install"} {
		if p.Origin[k] != "config 50-dc.yaml" {
			t.Errorf("origin of %s = %q, want config 50-dc.yaml", k, p.Origin[k])
		}
	}
}

// TestValidateNetwork: --network-dir needs --copy-network; the folder's
// units are checked before anything is written, naming the file; the
// default folder is the live system's.
func TestValidateNetwork(t *testing.T) {
	good := t.TempDir()
	os.WriteFile(filepath.Join(good, "10-eth0.network"), []byte("[Match]\nName=eth0\n[Network]\nAddress=10.0.0.2/24\n"), 0o644)
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, "10-eth0.network"), []byte("[Network]\nAddress=10.0.0.300/24\n"), 0o644)
	for _, tc := range []struct {
		name string
		set  func(p *installer.Plan)
		want string
	}{
		{"dir without copy", func(p *installer.Plan) { p.NetworkDir = good }, "flag --network-dir: a network folder without copy-network"},
		{"missing dir", func(p *installer.Plan) { p.CopyNetwork, p.NetworkDir = true, "/nonexistent/net" }, "network folder /nonexistent/net: no such file or directory"},
		{"bad unit", func(p *installer.Plan) { p.CopyNetwork, p.NetworkDir = true, bad }, "10-eth0.network line 2: Address=10.0.0.300/24"},
		{"good", func(p *installer.Plan) { p.CopyNetwork, p.NetworkDir = true, good }, ""},
	} {
		p := valid()
		tc.set(p)
		p.Origin["network-dir"] = "flag --network-dir"
		err := Validate(p)
		if (tc.want == "" && err != nil) || (tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want))) {
			t.Errorf("Validate(%s) = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	p := Defaults()
	if _, err := ApplyKargs(p, "altcos.inst.install_dev=/dev/vda altcos.inst.copy_network", "cmdline"); err != nil {
		t.Fatal(err)
	}
	Finish(p)
	if !p.CopyNetwork || p.NetworkDir != installer.DefaultNetworkDir {
		t.Errorf("copy_network: copy %v from %q, want the live system's %s", p.CopyNetwork, p.NetworkDir, installer.DefaultNetworkDir)
	}
}
