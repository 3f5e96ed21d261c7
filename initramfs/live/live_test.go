package live

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/deployarchive"
	"github.com/altcos/altcos-tools/internal/stdio"
)

// fakeISO writes a file whose sector 16 is an iso9660 primary volume descriptor.
func fakeISO(t *testing.T, p, label string) {
	t.Helper()
	b := make([]byte, 17*2048)
	pvd := b[16*2048:]
	pvd[0] = 1
	copy(pvd[1:], "CD001")
	copy(pvd[40:72], label+strings.Repeat(" ", 32-len(label)))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

type fakeSys struct {
	root       string
	out        bytes.Buffer
	loaded     []string
	mounted    []string
	ran        [][]string
	background [][]string
	rebooted   bool
	failRun    error
}

func newFake(t *testing.T, cmdline string) *fakeSys {
	t.Helper()
	f := &fakeSys{root: t.TempDir()}
	for _, d := range []string{"proc", "sys/class/block/vda", "sys/class/block/sr0", "sys/class/net/eth0", "dev", "etc/altcos"} {
		if err := os.MkdirAll(filepath.Join(f.root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(f.root, "proc/cmdline"), []byte(cmdline+"\n"), 0o644)
	os.WriteFile(filepath.Join(f.root, "etc/altcos/live-modules"), []byte("virtio_blk\nisofs\n"), 0o644)
	os.WriteFile(filepath.Join(f.root, "etc/altcos/live-modules-late"), []byte("vfat\nvirtio_net\n"), 0o644)
	os.WriteFile(filepath.Join(f.root, "dev/vda"), make([]byte, 40000), 0o644)
	fakeISO(t, filepath.Join(f.root, "dev/sr0"), "ALTCOS-SISYPHUS-20261125-0-0")
	return f
}

func (f *fakeSys) env() Env {
	return Env{
		Root:        f.root,
		Stdio:       stdio.Stdio{In: strings.NewReader(""), Out: &f.out, Err: &f.out},
		LoadModules: func(n []string) []error { f.loaded = append(f.loaded, n...); return nil },
		Mount: func(dev, dir string) error {
			f.mounted = append(f.mounted, dev)
			// What the medium holds once mounted.
			return os.MkdirAll(filepath.Join(dir, "altcos"), 0o755)
		},
		Command: func(ctx context.Context, name string, args ...string) error {
			f.ran = append(f.ran, append([]string{name}, args...))
			if name != "altcos-installer" {
				return nil
			}
			return f.failRun
		},
		Background: func(name string, args ...string) error {
			f.background = append(f.background, append([]string{name}, args...))
			return nil
		},
		Reboot: func() error { f.rebooted = true; return nil },
	}
}

func TestRunInteractive(t *testing.T) {
	f := newFake(t, "console=ttyS0 altcos.live.label=ALTCOS-SISYPHUS-20261125-0-0")
	if err := Run(context.Background(), nil, f.env()); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	if want := []string{"virtio_blk", "isofs"}; !reflect.DeepEqual(f.loaded, want) {
		t.Errorf("Run loaded modules %q, want %q", f.loaded, want)
	}
	if want := []string{"/dev/sr0"}; !reflect.DeepEqual(f.mounted, want) {
		t.Errorf("Run mounted %q, want %q", f.mounted, want)
	}
	for _, want := range []string{ReadyMarker, "altcos-installer list-disks", "hash-password", "user@host:config.ign", "/dev/sr0"} {
		if !strings.Contains(f.out.String(), want) {
			t.Errorf("Run printed\n%s\nwant it to contain %q", f.out.String(), want)
		}
	}
	if out := f.out.String(); strings.Index(out, ReadyMarker) > strings.Index(out, "boot medium /dev/sr0") {
		t.Errorf("Run printed\n%s\nwant the hints before the medium line", out)
	}
	if len(f.ran) != 0 || f.rebooted {
		t.Errorf("Run without install args ran %q (reboot %v), want nothing", f.ran, f.rebooted)
	}
	if want := [][]string{{"altcos-live", "late"}}; !reflect.DeepEqual(f.background, want) {
		t.Errorf("Run without install args started %q in the background, want %q", f.background, want)
	}
}

// TestRunHintsBeforeProbe: the hints are on the console before the first
// driver loads (the probes and the medium search take seconds under
// emulation).
func TestRunHintsBeforeProbe(t *testing.T) {
	f := newFake(t, "console=ttyS0")
	e := f.env()
	var atFirstLoad string
	e.LoadModules = func(n []string) []error {
		if atFirstLoad == "" {
			atFirstLoad = f.out.String()
		}
		return nil
	}
	if err := Run(context.Background(), nil, e); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if !strings.Contains(atFirstLoad, ReadyMarker) {
		t.Errorf("when the first module loaded the console showed %q, want the hints", atFirstLoad)
	}
}

func TestRunLate(t *testing.T) {
	f := newFake(t, "console=ttyS0")
	if err := Run(context.Background(), []string{"late"}, f.env()); err != nil {
		t.Fatalf("Run(late) = %v", err)
	}
	if want := []string{"virtio_blk", "isofs", "vfat", "virtio_net"}; !reflect.DeepEqual(f.loaded, want) {
		t.Errorf("Run(late) loaded %q, want %q", f.loaded, want)
	}
	if len(f.ran) != 1 || f.ran[0][0] != "dhclient" || len(f.mounted) != 0 || strings.Contains(f.out.String(), ReadyMarker) {
		t.Errorf("Run(late) ran %q, mounted %q, printed %q; want only DHCP", f.ran, f.mounted, f.out.String())
	}
}

func TestRunUnattended(t *testing.T) {
	tests := []struct {
		name      string
		cmdline   string
		customize string
		pxe       bool // the customization is in the initramfs
		dropIn    bool // /etc/altcos/installer.d has a YAML file
		failRun   error
		wantArgs  []string
		wantErr   bool
		reboot    bool
	}{
		{name: "karg", cmdline: "altcos.inst.install_dev=/dev/vda", wantArgs: []string{"altcos-installer", "install", "--yes"}, reboot: true},
		{name: "coreos alias, skip reboot", cmdline: "coreos.inst.install_dev=/dev/vda coreos.inst.skip_reboot", wantArgs: []string{"altcos-installer", "install", "--yes"}},
		{name: "customized ISO", cmdline: "console=ttyS0",
			customize: `{"format":1,"dest_device":"/dev/vdb","ignition":true,"append_karg":["quiet"]}`,
			wantArgs:  []string{"altcos-installer", "install", "--yes", "--ignition-file", "/run/altcos/medium/altcos/config.ign", "--append-karg", "quiet", "/dev/vdb"}, reboot: true},
		{name: "customized ISO, every option", cmdline: "console=ttyS0",
			customize: `{"format":1,"dest_console":["ttyS0,115200n8"],"pre_install":["pre-1-check.sh"],"post_install":["post-1-tag.sh"],"installer_config":["01-disk.yaml"],"no_reboot":true}`,
			wantArgs: []string{"altcos-installer", "install", "--yes", "--config-dir", "/run/altcos/medium/altcos/installer.d",
				"--console", "ttyS0,115200n8", "--pre-install", "/run/altcos/medium/altcos/hooks/pre-1-check.sh",
				"--post-install", "/run/altcos/medium/altcos/hooks/post-1-tag.sh", "--no-reboot"}, reboot: true},
		{name: "PXE initramfs customization", cmdline: "console=ttyS0", pxe: true,
			customize: `{"format":1,"dest_device":"/dev/vdb","ignition":true}`,
			wantArgs:  []string{"altcos-installer", "install", "--yes", "--ignition-file", "/etc/altcos/customize/config.ign", "/dev/vdb"}, reboot: true},
		{name: "Ignition only: kernel arguments start the install", cmdline: "altcos.inst.install_dev=/dev/vda",
			customize: `{"format":1,"ignition":true}`,
			wantArgs:  []string{"altcos-installer", "install", "--yes", "--ignition-file", "/run/altcos/medium/altcos/config.ign"}, reboot: true},
		{name: "Ignition only: no install", cmdline: "console=ttyS0", customize: `{"format":1,"ignition":true}`},
		{name: "installer.d drop-in", cmdline: "console=ttyS0", dropIn: true, wantArgs: []string{"altcos-installer", "install", "--yes"}, reboot: true},
		{name: "installer fails", cmdline: "altcos.inst.install_dev=/dev/vda", failRun: errors.New("exit status 1"),
			wantArgs: []string{"altcos-installer", "install", "--yes"}, wantErr: true},
		{name: "rescue wins", cmdline: "altcos.inst.install_dev=/dev/vda altcos.live.rescue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.cmdline)
			f.failRun = tt.failRun
			if tt.customize != "" {
				p := filepath.Join(f.root, deployarchive.LiveMount, "altcos", CustomizeName)
				if tt.pxe {
					p = filepath.Join(f.root, InitramfsCustomizeDir, CustomizeName)
				}
				os.MkdirAll(filepath.Dir(p), 0o755)
				os.WriteFile(p, []byte(tt.customize), 0o644)
			}
			if tt.dropIn {
				p := filepath.Join(f.root, "etc/altcos/installer.d/10-disk.yaml")
				os.MkdirAll(filepath.Dir(p), 0o755)
				os.WriteFile(p, []byte("dest-device: /dev/vda\n"), 0o644)
			}
			err := Run(context.Background(), nil, f.env())
			if (err != nil) != tt.wantErr {
				t.Fatalf("Run(%s) = %v, want error %v", tt.cmdline, err, tt.wantErr)
			}
			var got []string
			for _, r := range f.ran {
				if r[0] == "altcos-installer" {
					got = r
				}
			}
			if tt.wantArgs != nil && (len(f.ran) < 2 || f.ran[0][0] != "dhclient") {
				t.Errorf("Run(%s) ran %q, want DHCP before the installer", tt.cmdline, f.ran)
			}
			if tt.wantArgs != nil && !reflect.DeepEqual(f.loaded, []string{"virtio_blk", "isofs", "virtio_blk", "isofs", "vfat", "virtio_net"}) {
				t.Errorf("Run(%s) loaded %q, want the early and then the late modules", tt.cmdline, f.loaded)
			}
			if !reflect.DeepEqual(got, tt.wantArgs) {
				t.Errorf("Run(%s) ran %q, want %q", tt.cmdline, got, tt.wantArgs)
			}
			if f.rebooted != tt.reboot {
				t.Errorf("Run(%s) rebooted = %v, want %v", tt.cmdline, f.rebooted, tt.reboot)
			}
			if tt.wantErr && !strings.Contains(f.out.String(), "UNATTENDED INSTALL FAILED") {
				t.Errorf("Run printed\n%s\nwant the failure explained", f.out.String())
			}
		})
	}
}

func TestRunPXEMedium(t *testing.T) {
	f := newFake(t, "console=ttyS0")
	os.Remove(filepath.Join(f.root, "dev/sr0"))
	p := filepath.Join(f.root, deployarchive.LiveMount, "altcos", deployarchive.ManifestName)
	os.MkdirAll(filepath.Dir(p), 0o755)
	os.WriteFile(p, []byte(`{"format":1,"osname":"alt-containeros","stream":"sisyphus","version":"sisyphus.20261125.0.0","commit":"0123456789abcdef0123"}`), 0o644)
	if err := Run(context.Background(), nil, f.env()); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if len(f.mounted) != 0 {
		t.Errorf("Run mounted %q on a PXE boot, want nothing", f.mounted)
	}
	for _, want := range []string{"from the PXE initrd", "sisyphus.20261125.0.0"} {
		if !strings.Contains(f.out.String(), want) {
			t.Errorf("Run printed\n%s\nwant %q", f.out.String(), want)
		}
	}
}

func TestRunNoMedium(t *testing.T) {
	f := newFake(t, "altcos.live.label=ALTCOS-OTHER")
	if err := Run(context.Background(), nil, f.env()); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if !strings.Contains(f.out.String(), "no boot medium") || !strings.Contains(f.out.String(), ReadyMarker) {
		t.Errorf("Run printed\n%s\nwant no-medium notice and the hints", f.out.String())
	}
}

func TestParseCustomization(t *testing.T) {
	for _, bad := range []string{`{`, `{"format":2,"dest_device":"/dev/vda"}`, `{"format":1,"pre_install":["../x"]}`, `{"format":1,"installer_config":[""]}`} {
		if _, err := ParseCustomization([]byte(bad)); err == nil {
			t.Errorf("ParseCustomization(%s) = nil error, want an error", bad)
		}
	}
}

// TestColdplug: with modules.alias, only the drivers of present devices (and
// the filesystem) load before the hints; a device that shows up later (the CD
// behind the ATA controller) gets its driver while the medium is searched.
func TestColdplug(t *testing.T) {
	f := newFake(t, "console=ttyS0")
	write := func(p, data string) {
		t.Helper()
		p = filepath.Join(f.root, p)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("etc/altcos/live-modules", "virtio_pci\nvirtio_blk\nata_piix\nsr_mod\nisofs\nnvme\n")
	write("lib/modules/6.1.0-test/modules.alias", `alias pci:v00001AF4d*sv*sd*bc*sc*i* virtio_pci
alias virtio:d00000002v* virtio_blk
alias pci:v00008086d00007010sv*sd*bc*sc*i* ata_piix
alias scsi:t-0x05* sr_mod
alias pci:v*d*sv*sd*bc01sc08i02* nvme
alias iso9660 isofs
alias fs-iso9660 isofs
`)
	write("sys/bus/pci/devices/0000:00:01.1/modalias", "pci:v00008086d00007010sv00001AF4sd00001100bc01sc01i80\n")
	write("sys/bus/pci/devices/0000:00:00.0/modalias", "pci:v00008086d00001237sv00001AF4sd00001100bc06sc00i00\n")
	e := f.env()
	// The CD drive appears once the ATA driver is loaded.
	e.LoadModules = func(n []string) []error {
		f.loaded = append(f.loaded, n...)
		for _, m := range n {
			if m == "ata_piix" {
				write("sys/bus/scsi/devices/1:0:0:0/modalias", "scsi:t-0x05\n")
			}
		}
		return nil
	}
	if err := Run(context.Background(), nil, e); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if want := []string{"isofs", "ata_piix", "sr_mod"}; !reflect.DeepEqual(f.loaded, want) { // isofs and ata_piix in one call
		t.Errorf("Run with modules.alias loaded %q, want %q (no virtio or nvme hardware here)", f.loaded, want)
	}
}

func TestHintsNameThePasswordExample(t *testing.T) {
	h := Hints()
	if want := "altcos-installer install -i " + altcos.PasswordExample + " /dev/vda"; !strings.Contains(h, want) {
		t.Errorf("Hints() lacks %q:\n%s", want, h)
	}
}

// ip= and nameserver= configure the link with ip and run no DHCP on it; the
// unit for the installed system and resolv.conf are written; a customized
// medium's units are applied and the installer copies the network.
func TestRunNetwork(t *testing.T) {
	f := newFake(t, "altcos.inst.install_dev=/dev/vda ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:none nameserver=10.0.2.3")
	os.WriteFile(filepath.Join(f.root, "sys/class/net/eth0/address"), []byte("52:54:00:12:34:56\n"), 0o644)
	if err := Run(context.Background(), nil, f.env()); err != nil {
		t.Fatalf("Run = %v", err)
	}
	want := [][]string{{"ip", "link", "set", "dev", "eth0", "up"}, {"ip", "addr", "add", "10.0.2.15/24", "dev", "eth0"},
		{"ip", "route", "add", "default", "via", "10.0.2.2", "dev", "eth0"}, {"altcos-installer", "install", "--yes"}}
	if !reflect.DeepEqual(f.ran, want) {
		t.Errorf("Run ran\n%q\nwant\n%q (no dhclient)", f.ran, want)
	}
	if b, _ := os.ReadFile(filepath.Join(f.root, "etc/resolv.conf")); !strings.Contains(string(b), "nameserver 10.0.2.3\n") {
		t.Errorf("resolv.conf %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(f.root, NetworkDir, "10-altcos-live-eth0.network")); !strings.Contains(string(b), "MACAddress=52:54:00:12:34:56\n") {
		t.Errorf("unit %q", b)
	}

	f = newFake(t, "console=ttyS0")
	p := filepath.Join(f.root, deployarchive.LiveMount, "altcos", CustomizeName)
	os.MkdirAll(filepath.Dir(p), 0o755)
	os.WriteFile(p, []byte(`{"format":1,"dest_device":"/dev/vda","network_units":[{"name":"10-s.network","data":"[Match]\nName=eth0\n[Network]\nAddress=192.0.2.9/24\n"}]}`), 0o644)
	if err := Run(context.Background(), nil, f.env()); err != nil {
		t.Fatalf("Run = %v", err)
	}
	want = [][]string{{"ip", "link", "set", "dev", "eth0", "up"}, {"ip", "addr", "add", "192.0.2.9/24", "dev", "eth0"},
		{"altcos-installer", "install", "--yes", "--copy-network", "/dev/vda"}}
	if !reflect.DeepEqual(f.ran, want) {
		t.Errorf("Run ran\n%q\nwant\n%q", f.ran, want)
	}
	if _, err := os.Stat(filepath.Join(f.root, NetworkDir, "10-s.network")); err != nil {
		t.Errorf("the embedded unit is not in %s: %v", NetworkDir, err)
	}

	// A bad ip= stops the install before the installer runs.
	f = newFake(t, "altcos.inst.install_dev=/dev/vda ip=10.0.2.15::10.0.2.2:255.0.255.0::eth0:none")
	err := Run(context.Background(), nil, f.env())
	if err == nil || !strings.Contains(err.Error(), "ip=10.0.2.15::10.0.2.2:255.0.255.0::eth0:none") || len(f.ran) != 0 {
		t.Errorf("Run = %v, ran %q; want the argument named and nothing run", err, f.ran)
	}
}
