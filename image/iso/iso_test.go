package iso

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/diskfs/go-diskfs"
	"github.com/diskfs/go-diskfs/partition/mbr"

	"github.com/altcos/altcos-tools/deployarchive"
	"github.com/altcos/altcos-tools/initramfs/live"
	"github.com/altcos/altcos-tools/installer/bootloader"
	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
)

func TestLabel(t *testing.T) {
	tests := []struct{ stream, version, want string }{
		{"sisyphus", "sisyphus.20261125.0.0", "ALTCOS-SISYPHUS-20261125-0-0"},
		{"p10", "p10.20261125.12.3", "ALTCOS-P10-20261125-12-3"},
		{"very_long_stream_name", "very_long_stream_name.20261125.1.0", "ALTCOS-VERY_LONG_STREAM_NAME-202"},
		{"a.b", "weird version", "ALTCOS-A-B-WEIRD-VERSION"},
	}
	for _, tt := range tests {
		got := Label(tt.stream, tt.version)
		if got != tt.want || len(got) > 32 {
			t.Errorf("Label(%q, %q) = %q, want %q", tt.stream, tt.version, got, tt.want)
		}
	}
}

func TestXorrisoArgs(t *testing.T) {
	argv := xorrisoArgs("out.iso", "ALTCOS-X", "/g/boot_hybrid.img", "/w/efiboot.img", time.Unix(1795000000, 0),
		map[string]string{"boot/vmlinuz": "/t/vmlinuz", "/altcos/deploy.json": "/a/deploy.json"})
	line := strings.Join(argv, " ")
	for _, want := range []string{
		"-V ALTCOS-X", "--modification-date=2026111811064000", "--grub2-mbr /g/boot_hybrid.img",
		"-b boot/grub/i386-pc/eltorito.img -no-emul-boot", "-append_partition 2 0xef /w/efiboot.img",
		"-e --interval:appended_partition_2:all:: -no-emul-boot",
		"/altcos/deploy.json=/a/deploy.json /boot/vmlinuz=/t/vmlinuz",
	} {
		if !strings.Contains(line, want) {
			t.Errorf("xorrisoArgs = %s\nwant it to contain %q", line, want)
		}
	}
	if strings.Contains(line, " -J") {
		t.Errorf("xorrisoArgs = %s, want no Joliet", line)
	}
}

// isoFixture is an OS tree with a fake kernel and the host's GRUB (and,
// when signed, stand-ins for Debian's signed shim, MokManager and GRUB), a
// fake initramfs and a fake deploy archive.
type isoFixture struct{ tree, initramfs, archive string }

func newISOFixture(t *testing.T, signed bool) isoFixture {
	t.Helper()
	for _, d := range []string{"/usr/lib/grub/i386-pc", "/usr/lib/grub/x86_64-efi"} {
		if _, err := os.Stat(filepath.Join(d, "moddep.lst")); err != nil {
			tooltest.Tools(t, "grub-modules-in-"+d) // skips, or fails under ALTCOS_REQUIRE_TOOLS
		}
	}
	dir := t.TempDir()
	f := isoFixture{tree: filepath.Join(dir, "tree"), initramfs: filepath.Join(dir, "initramfs.img"), archive: filepath.Join(dir, "archive")}
	write := func(p string, data string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(f.tree, "usr/lib/modules/6.1.0-test/vmlinuz"), "not really a kernel")
	os.MkdirAll(filepath.Join(f.tree, "usr/lib/grub"), 0o755)
	for _, p := range []string{"i386-pc", "x86_64-efi"} {
		if err := os.Symlink("/usr/lib/grub/"+p, filepath.Join(f.tree, "usr/lib/grub", p)); err != nil {
			t.Fatal(err)
		}
	}
	if signed {
		for _, p := range []string{bootloader.TreeShim, bootloader.TreeMokManager, bootloader.TreeSignedGRUB} {
			write(filepath.Join(f.tree, p), "MZ stand-in for "+p)
		}
	}
	write(f.initramfs, "not really an initramfs")
	write(filepath.Join(f.archive, deployarchive.ArchiveName), "not really an archive")
	write(filepath.Join(f.archive, deployarchive.ManifestName),
		`{"format":1,"osname":"alt-containeros","stream":"sisyphus","version":"sisyphus.20261125.0.0","commit":"abc","ignition_spec":"3.3.0"}`)
	return f
}

func (f isoFixture) options(out string) Options {
	return Options{Output: out, Tree: f.tree, Initramfs: f.initramfs, ArchiveDir: f.archive,
		LiveArgs: []string{"altcos.test=1"}, Epoch: time.Unix(1795000000, 0)}
}

// TestBuildISO builds the ISO twice (same bytes under the same epoch), checks
// its El Torito images and MBR, then customizes it and reads it back.
func TestBuildISO(t *testing.T) {
	tooltest.Tools(t, "xorriso", "grub-mkimage")
	// go-diskfs stamps some FAT entries (volume label, dot entries) from
	// SOURCE_DATE_EPOCH itself; the CLI gets it from the environment.
	t.Setenv("SOURCE_DATE_EPOCH", "1795000000")
	f := newISOFixture(t, true)
	dir := t.TempDir()
	iso := filepath.Join(dir, "live.iso")
	ctx := context.Background()
	if err := Build(ctx, f.options(iso)); err != nil {
		t.Fatalf("Build = %v", err)
	}
	again := filepath.Join(dir, "again.iso")
	if err := Build(ctx, f.options(again)); err != nil {
		t.Fatalf("Build (again) = %v", err)
	}
	if a, b := fileSum(t, iso), fileSum(t, again); a != b {
		t.Errorf("Build twice with one epoch = %x and %x, want the same bytes", a, b)
	}

	out, err := run.Output(ctx, nil, run.Cmd{Argv: []string{"xorriso", "-indev", iso, "-report_el_torito", "plain"}})
	if err != nil {
		t.Fatal(err)
	}
	report := string(out)
	for _, want := range []string{"El Torito boot img :   1  BIOS", "El Torito boot img :   2  UEFI"} {
		if !strings.Contains(report, want) {
			t.Errorf("xorriso -report_el_torito:\n%s\nwant %q", report, want)
		}
	}
	if l, err := live.ISOLabel(iso); err != nil || l != "ALTCOS-SISYPHUS-20261125-0-0" {
		t.Errorf("ISO volume label = %q, %v, want ALTCOS-SISYPHUS-20261125-0-0", l, err)
	}
	table := isoMBR(t, iso)
	var types []mbr.Type
	for _, p := range table.Partitions {
		types = append(types, p.Type)
	}
	if len(types) < 2 || types[1] != mbr.EFISystem {
		t.Fatalf("ISO MBR partition types = %v, want partition 2 of type 0xEF (ESP)", types)
	}
	// The ESP (partition 2, also the El Torito UEFI image) holds the tree's
	// Secure Boot chain byte for byte, and the signed GRUB's config at its
	// prefix; the ISO 9660 tree has the config too (a CD-ROM boot's prefix).
	esp := fmt.Sprintf("%s@@%d", iso, int64(table.Partitions[1].Start)*512)
	for p, want := range map[string]string{
		bootloader.RemovablePath: bootloader.TreeShim, bootloader.ShimGRUBPath: bootloader.TreeSignedGRUB,
		bootloader.ShimMokManagerPath: bootloader.TreeMokManager,
	} {
		want = "MZ stand-in for " + want
		if got, err := mtype(ctx, esp, p); err != nil || string(got) != want {
			t.Errorf("ESP %s = %q, %v; want %q", p, got, err, want)
		}
	}
	cfg, err := mtype(ctx, esp, bootloader.SignedConfigPath)
	wantCfg := "search --no-floppy --set=root --label 'ALTCOS-SISYPHUS-20261125-0-0'\nset prefix=($root)/boot/grub/efi\nsource $prefix/grub.cfg\n"
	if err != nil || !strings.HasSuffix(string(cfg), wantCfg) {
		t.Errorf("ESP %s = %q, %v; want it to end with %q", bootloader.SignedConfigPath, cfg, err, wantCfg)
	}
	if onISO := isoFile(t, iso, bootloader.SignedConfigPath); onISO != string(cfg) {
		t.Errorf("ISO 9660 %s = %q, want the ESP's %q", bootloader.SignedConfigPath, onISO, cfg)
	}

	c, err := Inspect(iso)
	if err != nil {
		t.Fatalf("Inspect = %v", err)
	}
	if c.Customization != nil || c.Info.Version != "sisyphus.20261125.0.0" || c.Manifest == nil || c.Manifest.IgnitionSpec != "3.3.0" {
		t.Errorf("Inspect(built) = %+v, want the build record and manifest, no customization", c)
	}
	if !strings.Contains(c.BIOSMenu, "chainloader +1") || !strings.Contains(c.EFIMenu, "\texit\n") || !strings.Contains(c.BIOSMenu, "altcos.test=1") {
		t.Errorf("ISO menus:\n%s\n%s\nwant the BIOS and UEFI menus with the live arg", c.BIOSMenu, c.EFIMenu)
	}

	t.Run("customize round trip", func(t *testing.T) {
		ign := filepath.Join(dir, "config.ign")
		cfg := `{"ignition":{"version":"3.3.0"},"passwd":{"users":[{"name":"altcos","sshAuthorizedKeys":["ssh-ed25519 AAAA"]}]}}`
		os.WriteFile(ign, []byte(cfg), 0o600)
		custom := filepath.Join(dir, "custom.iso")
		unit := filepath.Join(dir, "10-static.network")
		unitText := "[Match]\nMACAddress=52:54:00:12:34:56\n[Network]\nAddress=10.0.2.15/24\nGateway=10.0.2.2\n"
		os.WriteFile(unit, []byte(unitText), 0o644)
		o := CustomizeOptions{Input: iso, Output: custom, DestDevice: "/dev/vda", IgnitionFile: ign,
			AppendKargs: []string{"quiet"}, DeleteKargs: []string{"mitigations=auto"}, LiveArgs: []string{"altcos.inst.skip_reboot"}, Platform: "metal",
			NetworkUnits: []string{unit}}
		if err := Customize(ctx, o); err != nil {
			t.Fatalf("Customize = %v", err)
		}
		c, err := Inspect(custom)
		if err != nil {
			t.Fatalf("Inspect(customized) = %v", err)
		}
		cz := c.Customization
		if cz == nil || cz.DestDevice != "/dev/vda" || !cz.Ignition || !reflect.DeepEqual(cz.AppendKargs, o.AppendKargs) ||
			!reflect.DeepEqual(cz.DeleteKargs, o.DeleteKargs) || cz.Platform != "metal" {
			t.Errorf("Inspect(customized).Customization = %+v, want what Customize(%+v) embedded", cz, o)
		}
		if want := []live.NetworkUnit{{Name: "10-static.network", Data: unitText}}; !reflect.DeepEqual(cz.NetworkUnits, want) ||
			!slices.Contains(cz.InstallerArgs("/m"), "--copy-network") {
			t.Errorf("Inspect(customized) network units %q (installer %q), want %q and --copy-network", cz.NetworkUnits, cz.InstallerArgs("/m"), want)
		}
		if !bytes.Equal(bytes.TrimSpace(c.Ignition), []byte(cfg)) {
			t.Errorf("Inspect(customized).Ignition = %s, want %s", c.Ignition, cfg)
		}
		for _, menu := range []string{c.BIOSMenu, c.EFIMenu} {
			if !strings.Contains(menu, "altcos.test=1 altcos.inst.skip_reboot") {
				t.Errorf("customized menu:\n%s\nwant the build's and the customize live args", menu)
			}
		}
		out, err := run.Output(ctx, nil, run.Cmd{Argv: []string{"xorriso", "-indev", custom, "-report_el_torito", "plain"}})
		if err != nil || !strings.Contains(string(out), "2  UEFI") || !strings.Contains(string(out), "1  BIOS") {
			t.Errorf("customized ISO boot images:\n%s\nwant BIOS and UEFI kept (%v)", out, err)
		}
	})

	t.Run("customize refuses a config the OS cannot read", func(t *testing.T) {
		ign := filepath.Join(dir, "new.ign")
		os.WriteFile(ign, []byte(`{"ignition":{"version":"3.5.0"}}`), 0o600)
		bad := filepath.Join(dir, "bad.iso")
		err := Customize(ctx, CustomizeOptions{Input: iso, Output: bad, DestDevice: "/dev/vda", IgnitionFile: ign})
		if err == nil || !strings.Contains(err.Error(), "does not validate") {
			t.Errorf("Customize(spec 3.5 for a 3.3 OS) = %v, want a validation error", err)
		}
		assertNoOutput(t, bad)
	})
}

func TestBuildISOBadInput(t *testing.T) {
	tooltest.Tools(t, "xorriso", "grub-mkimage")
	f := newISOFixture(t, true)
	tests := []struct {
		name   string
		break_ func(o *Options)
		want   string
	}{
		{"no kernel", func(o *Options) { o.Tree = t.TempDir() }, "no kernel"},
		{"no GRUB platform", func(o *Options) {
			tree := t.TempDir()
			os.MkdirAll(filepath.Join(tree, "usr/lib/modules/6.1.0-test"), 0o755)
			os.WriteFile(filepath.Join(tree, "usr/lib/modules/6.1.0-test/vmlinuz"), []byte("k"), 0o644)
			os.MkdirAll(filepath.Join(tree, "usr/lib/grub"), 0o755)
			os.Symlink("/usr/lib/grub/i386-pc", filepath.Join(tree, "usr/lib/grub/i386-pc"))
			o.Tree = tree
		}, "GRUB platform missing"},
		{"no archive", func(o *Options) { o.ArchiveDir = t.TempDir() }, "sysroot"},
		{"bad label", func(o *Options) { o.Label = "live" }, "volume label"},
		{"output folder missing", func(o *Options) { o.Output = "/nonexistent/dir/x.iso" }, "write the ISO: write /nonexistent/dir/x.iso"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "x.iso")
			o := f.options(out)
			tt.break_(&o)
			err := Build(context.Background(), o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Build(%s) = %v, want an error containing %q", tt.name, err, tt.want)
			}
			assertNoOutput(t, o.Output)
		})
	}
}

// assertNoOutput checks that neither p nor a temporary file beside it is left.
func assertNoOutput(t *testing.T, p string) {
	t.Helper()
	entries, _ := os.ReadDir(filepath.Dir(p))
	for _, e := range entries {
		if e.Name() == filepath.Base(p) || strings.Contains(e.Name(), filepath.Base(p)+".tmp") {
			t.Errorf("output %s left behind after a failure", filepath.Join(filepath.Dir(p), e.Name()))
		}
	}
}

func fileSum(t *testing.T, p string) [32]byte {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(data)
}

// Inspect refuses a file that is not an ISO and says which file and why.
func TestInspectNotAnISO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "hostname")
	if err := os.WriteFile(p, []byte("buildhost\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Inspect(p)
	if err == nil || !strings.Contains(err.Error(), p+" is not an ISO") {
		t.Errorf("Inspect(%s) = %+v, %v, want an error saying %s is not an ISO", p, c, err, p)
	}
	if _, err := Inspect(p + ".missing"); err == nil || !strings.Contains(err.Error(), p+".missing") {
		t.Errorf("Inspect(missing file) = %v, want an error naming the file", err)
	}
}

// TestCustomizeNetworkBadInput: network units are checked and keyfiles
// refused before the input ISO is even read.
func TestCustomizeNetworkBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.network")
	os.WriteFile(bad, []byte("[Network]\nGateway=router\n"), 0o644)
	good := filepath.Join(dir, "a.network")
	os.WriteFile(good, []byte("[Network]\nDHCP=yes\n"), 0o644)
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	again := filepath.Join(dir, "sub", "a.network")
	os.WriteFile(again, []byte("[Network]\nDHCP=yes\n"), 0o644)
	keyfile := filepath.Join(dir, "eth0.nmconnection")
	for _, tc := range []struct {
		o    CustomizeOptions
		want string
	}{
		{CustomizeOptions{NetworkKeyfiles: []string{keyfile}}, "--network-keyfile " + keyfile + ": NetworkManager keyfiles do not apply: ALTCOS runs systemd-networkd"},
		{CustomizeOptions{NetworkUnits: []string{bad}}, "bad.network line 2: Gateway=router: not an IP address"},
		{CustomizeOptions{NetworkUnits: []string{keyfile}}, "must end with .network, .netdev or .link"},
		{CustomizeOptions{NetworkUnits: []string{filepath.Join(dir, "none.network")}}, "none.network: no such file"},
		{CustomizeOptions{NetworkUnits: []string{good, again}}, "the same file name"},
	} {
		tc.o.Input, tc.o.Output, tc.o.DestDevice = filepath.Join(dir, "in.iso"), filepath.Join(dir, "out.iso"), "/dev/vda"
		err := Customize(context.Background(), tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Customize(%+v) = %v, want an error containing %q", tc.o, err, tc.want)
		}
	}
}

// mtype reads p from the FAT filesystem img (mtools' FILE@@OFFSET names one
// inside a larger file).
func mtype(ctx context.Context, img, p string) ([]byte, error) {
	return run.Output(ctx, nil, run.Cmd{Argv: []string{"mtype", "-i", img, "::" + p}, Env: []string{"MTOOLS_SKIP_CHECK=1"}})
}

// isoFile reads p from the ISO 9660 filesystem of iso ("" when it is not there).
func isoFile(t *testing.T, iso, p string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "file")
	if err := run.Run(context.Background(), nil, run.Cmd{Argv: []string{"xorriso", "-osirrox", "on", "-indev", iso, "-extract", p, out}}); err != nil {
		return ""
	}
	b, _ := os.ReadFile(out)
	return string(b)
}

// TestBuildISOUnsigned: a tree without the Secure Boot chain (an rpm-based
// one) still gets a UEFI boot: GRUB made by grub-mkimage at the removable
// path, and no signed GRUB's config anywhere.
func TestBuildISOUnsigned(t *testing.T) {
	tooltest.Tools(t, "xorriso", "grub-mkimage", "mtype")
	f := newISOFixture(t, false)
	iso := filepath.Join(t.TempDir(), "live.iso")
	ctx := context.Background()
	if err := Build(ctx, f.options(iso)); err != nil {
		t.Fatalf("Build = %v", err)
	}
	esp := fmt.Sprintf("%s@@%d", iso, int64(isoMBR(t, iso).Partitions[1].Start)*512)
	if efi, err := mtype(ctx, esp, bootloader.RemovablePath); err != nil || !bytes.HasPrefix(efi, []byte("MZ")) || len(efi) < 20000 {
		t.Errorf("ESP %s = %d bytes, %v; want GRUB made by grub-mkimage", bootloader.RemovablePath, len(efi), err)
	}
	for _, p := range []string{bootloader.ShimGRUBPath, bootloader.SignedConfigPath} {
		if _, err := mtype(ctx, esp, p); err == nil {
			t.Errorf("ESP of a tree without the Secure Boot chain has %s", p)
		}
	}
	if got := isoFile(t, iso, bootloader.SignedConfigPath); got != "" {
		t.Errorf("ISO 9660 of a tree without the Secure Boot chain has %s", bootloader.SignedConfigPath)
	}
}

// isoMBR reads the hybrid ISO's MBR partition table (USB boot).
func isoMBR(t *testing.T, iso string) *mbr.Table {
	t.Helper()
	d, err := diskfs.Open(iso, diskfs.WithOpenMode(diskfs.ReadOnly))
	if err != nil {
		t.Fatal(err)
	}
	pt, err := d.GetPartitionTable()
	d.Close()
	if err != nil {
		t.Fatalf("partition table of the ISO: %v", err)
	}
	table, ok := pt.(*mbr.Table)
	if !ok {
		t.Fatalf("ISO partition table is %T, want an MBR (USB boot)", pt)
	}
	return table
}
