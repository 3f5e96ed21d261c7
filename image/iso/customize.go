package iso

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/altcos/altcos-tools/initramfs/live"
	"github.com/altcos/altcos-tools/initramfs/live/netconf"
	"github.com/altcos/altcos-tools/installer"
	"github.com/altcos/altcos-tools/installer/ignition"
	"github.com/altcos/altcos-tools/installer/planconfig"
)

// CustomizeOptions make a copy of a live ISO that installs unattended (like
// `coreos-installer iso customize`); `pxe customize` takes the same options
// (Payload) without the live menus'.
type CustomizeOptions struct {
	Input, Output string
	DestDevice    string
	// IgnitionFile is the config of the installed system (Ignition or
	// Butane); it is validated against the OS's highest spec before it is
	// embedded, as Ignition JSON.
	IgnitionFile string
	AppendKargs  []string // installed system
	DeleteKargs  []string // installed system
	LiveArgs     []string // live menu entries: appended
	Platform     string
	NoReboot     bool

	// The rest of coreos-installer's customize options.
	DestConsole      []string // installed system's console= (the installer's --console)
	LiveDeleteArgs   []string // live menu entries: KEY or KEY=VALUE deleted
	LiveReplaceArgs  []string // live menu entries: KEY=OLD=NEW
	PreInstall       []string // hook programs run by the installer (embedded)
	PostInstall      []string
	InstallerConfigs []string // installer.d YAML files (embedded, in this order)

	// NetworkUnits are systemd-networkd unit files (.network, .netdev,
	// .link) for the live system and, through --copy-network, the
	// installed one.
	NetworkUnits []string
	// NetworkKeyfiles are NetworkManager keyfiles (coreos-installer's
	// --network-keyfile): refused, see NetworkKeyfileError.
	NetworkKeyfiles []string

	TempDir string
	Log     *slog.Logger
}

// File is one file of a customization, named relative to its folder (the
// ISO's altcos/ folder, or live.InitramfsCustomizeDir).
type File struct {
	Name string
	Data []byte
	Mode os.FileMode
}

// hasDest says whether o sets anything of the installed system.
func (o CustomizeOptions) hasDest() bool {
	return o.DestDevice != "" || o.IgnitionFile != "" || len(o.AppendKargs)+len(o.DeleteKargs)+len(o.DestConsole)+
		len(o.PreInstall)+len(o.PostInstall)+len(o.InstallerConfigs)+len(o.NetworkUnits)+len(o.NetworkKeyfiles) > 0 ||
		o.Platform != "" || o.NoReboot
}

// Payload validates o's options of the installed system and returns the
// customization and its files (customize.json last), or nil when o sets
// none of them. spec is the OS's highest Ignition spec ("" for the
// installer's default). Every file is read and checked here, before
// anything is written: the Ignition config against spec, each installer
// config as the installer reads it (errors name the file), hooks as regular
// files, and the whole as the installer's plan would be checked.
func Payload(o CustomizeOptions, spec string) (*live.Customization, []File, error) {
	if !o.hasDest() {
		return nil, nil, nil
	}
	if o.DestDevice != "" && !strings.HasPrefix(o.DestDevice, "/dev/") {
		return nil, nil, fmt.Errorf("destination device %q: give a device path such as /dev/vda", o.DestDevice)
	}
	c := &live.Customization{Format: 1, DestDevice: o.DestDevice, AppendKargs: o.AppendKargs, DeleteKargs: o.DeleteKargs,
		Platform: o.Platform, NoReboot: o.NoReboot, DestConsole: o.DestConsole}
	units, err := readNetworkUnits(o)
	if err != nil {
		return nil, nil, err
	}
	c.NetworkUnits = units
	var files []File
	// 1. The installer configs, applied as the installer will.
	p := planconfig.Defaults()
	for i, f := range o.InstallerConfigs {
		if err := planconfig.ApplyFile(p, f); err != nil {
			return nil, nil, fmt.Errorf("installer config: %w", err)
		}
		data, _ := os.ReadFile(f) // ApplyFile read it
		base := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(f), ".yaml"), ".yml")
		name := fmt.Sprintf("%02d-%s.yaml", i+1, base)
		c.InstallerConfigs = append(c.InstallerConfigs, name)
		files = append(files, File{Name: live.InstallerConfigDir + "/" + name, Data: data, Mode: 0o644})
	}
	// 2. The Ignition config, validated for the OS.
	if o.IgnitionFile != "" {
		data, err := os.ReadFile(o.IgnitionFile)
		if err != nil {
			return nil, nil, fmt.Errorf("read the Ignition config: %w", err)
		}
		cfg, err := ignition.Validate(data, spec)
		if err != nil {
			return nil, nil, fmt.Errorf("the Ignition config %s does not validate for the OS: %w", o.IgnitionFile, err)
		}
		files = append(files, File{Name: live.IgnitionName, Data: cfg, Mode: 0o600})
		c.Ignition = true
	}
	// 3. Hooks, kept executable.
	for _, h := range []struct {
		phase string
		in    []string
		out   *[]string
	}{{"pre-install", o.PreInstall, &c.PreInstall}, {"post-install", o.PostInstall, &c.PostInstall}} {
		for i, f := range h.in {
			if _, err := installer.HookArgv(f); err != nil {
				return nil, nil, fmt.Errorf("--%s: %w", h.phase, err)
			}
			data, err := os.ReadFile(f)
			if err != nil {
				return nil, nil, fmt.Errorf("--%s: %w", h.phase, err)
			}
			name := fmt.Sprintf("%s-%d-%s", h.phase, i+1, filepath.Base(f))
			*h.out = append(*h.out, name)
			files = append(files, File{Name: live.HooksDir + "/" + name, Data: data, Mode: 0o755})
		}
	}
	// 4. The whole, as the installer checks its plan (flags win over configs).
	if err := checkPlan(p, o); err != nil {
		return nil, nil, err
	}
	cj, err := marshalCustomization(c)
	if err != nil {
		return nil, nil, err
	}
	return c, append(files, File{Name: live.CustomizeName, Data: cj, Mode: 0o644}), nil
}

// checkPlan sets o's values on p (the installer configs applied) as the
// live system's installer command line will, and validates the plan.
func checkPlan(p *installer.Plan, o CustomizeOptions) error {
	set := func(key, flag string, vals ...string) error {
		for i, v := range vals {
			if err := planconfig.Set(p, key, v, "--"+flag, i > 0); err != nil {
				return err
			}
		}
		return nil
	}
	for _, s := range []struct {
		key, flag string
		vals      []string
	}{
		{"dest-device", "dest-device", nonEmpty(o.DestDevice)}, {"ignition-file", "dest-ignition", nonEmpty(o.IgnitionFile)},
		{"append-karg", "dest-karg-append", o.AppendKargs}, {"delete-karg", "dest-karg-delete", o.DeleteKargs},
		{"console", "dest-console", o.DestConsole}, {"platform", "platform", nonEmpty(o.Platform)},
		{"pre-install", "pre-install", o.PreInstall}, {"post-install", "post-install", o.PostInstall},
	} {
		if err := set(s.key, s.flag, s.vals...); err != nil {
			return err
		}
	}
	if p.Device == "" {
		return fmt.Errorf("no destination device: give --dest-device or an --installer-config with dest-device")
	}
	return planconfig.Validate(p)
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// Customize writes o.Output: a copy of o.Input with the customization (Payload)
// in the medium's altcos/ folder and the live menus re-rendered with the
// live kernel arguments edited. The boot equipment (El Torito images, hybrid
// MBR, ESP partition) is replayed from the input by xorriso. Nothing is
// written when an input does not validate; the output appears only whole.
// An ISO customized already is refused: `iso reset` first.
func Customize(ctx context.Context, o CustomizeOptions) error {
	// The network units need no ISO: a bad one is said before it is read.
	if _, err := readNetworkUnits(o); err != nil {
		return err
	}
	in, err := Inspect(o.Input)
	if err != nil {
		return err
	}
	if in.Customization != nil {
		return fmt.Errorf("%s is customized already; reset it first (altcos-build iso reset), or change one part with iso ignition or iso kargs", o.Input)
	}
	spec := ""
	if in.Manifest != nil {
		spec = in.Manifest.IgnitionSpec
	}
	_, files, err := Payload(o, spec)
	if err != nil {
		return fmt.Errorf("%s: %w", o.Input, err)
	}
	info := in.Info
	edit := KargsEdit{Append: o.LiveArgs, Delete: o.LiveDeleteArgs, Replace: o.LiveReplaceArgs}
	if !edit.Empty() {
		args, err := edit.Apply(info.LiveArgs)
		if err != nil {
			return fmt.Errorf("%s: %w", o.Input, err)
		}
		info = withLiveArgs(info, args)
	}
	if files == nil && edit.Empty() {
		return fmt.Errorf("nothing to customize: give --dest-device (and more --dest-* options) or --live-karg-* options")
	}
	return rewrite(ctx, EditOptions{Input: o.Input, Output: o.Output, TempDir: o.TempDir, Log: o.Log}, info, files, nil)
}

// NetworkKeyfileError is why --network-keyfile is refused: the OS runs
// systemd-networkd, which does not read NetworkManager keyfiles, and a
// conversion of the simple static case would silently drop whatever else a
// keyfile says (routes, bonds, VLANs, 802.1X, ...).
const NetworkKeyfileError = "NetworkManager keyfiles do not apply: ALTCOS runs systemd-networkd, not NetworkManager; " +
	"give the link's settings as a networkd unit with --network-unit FILE.network " +
	"(e.g. [Match] MACAddress=... or Name=..., [Network] Address=10.0.2.15/24, Gateway=10.0.2.2, DNS=10.0.2.3, DHCP=no)"

// readNetworkUnits reads and checks the --network-unit files before
// anything is written; --network-keyfile is refused.
func readNetworkUnits(o CustomizeOptions) ([]live.NetworkUnit, error) {
	if len(o.NetworkKeyfiles) > 0 {
		return nil, fmt.Errorf("--network-keyfile %s: %s", o.NetworkKeyfiles[0], NetworkKeyfileError)
	}
	var units []live.NetworkUnit
	seen := map[string]string{}
	for _, f := range o.NetworkUnits {
		if err := netconf.CheckUnitName(f); err != nil {
			return nil, fmt.Errorf("--network-unit: %w", err)
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("--network-unit: %w", err)
		}
		if _, err := netconf.ParseUnit(f, data); err != nil {
			return nil, fmt.Errorf("--network-unit: %w", err)
		}
		name := filepath.Base(f)
		if prev, ok := seen[name]; ok {
			return nil, fmt.Errorf("--network-unit %s and %s have the same file name; networkd would read one", prev, f)
		}
		seen[name] = f
		units = append(units, live.NetworkUnit{Name: name, Data: string(data)})
	}
	return units, nil
}
