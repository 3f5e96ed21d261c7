package iso

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/altcos/altcos-tools/deployarchive"
	"github.com/altcos/altcos-tools/initramfs/live"
	"github.com/altcos/altcos-tools/initramfs/live/netconf"
	"github.com/altcos/altcos-tools/installer/ignition"
	"github.com/altcos/altcos-tools/internal/fsutil"
	"github.com/altcos/altcos-tools/internal/run"
)

// CustomizeOptions make a copy of a live ISO that installs unattended (like
// `coreos-installer iso customize`).
type CustomizeOptions struct {
	Input, Output string
	DestDevice    string
	// IgnitionFile is the config of the installed system (Ignition or
	// Butane); it is validated against the OS's highest spec before it is
	// embedded, as Ignition JSON.
	IgnitionFile string
	AppendKargs  []string // installed system
	DeleteKargs  []string // installed system
	LiveArgs     []string // live menu entries
	Platform     string
	NoReboot     bool
	// NetworkUnits are systemd-networkd unit files (.network, .netdev,
	// .link) for the live system and, through --copy-network, the
	// installed one.
	NetworkUnits []string
	// NetworkKeyfiles are NetworkManager keyfiles (coreos-installer's
	// --network-keyfile): refused, see NetworkKeyfileError.
	NetworkKeyfiles []string
	TempDir         string
	Log             *slog.Logger
}

// Customize writes o.Output: a copy of o.Input with customize.json (and the
// validated Ignition config) in the medium's altcos/ folder and the live
// menus re-rendered with o.LiveArgs. The boot equipment (El Torito images,
// hybrid MBR, ESP partition) is replayed from the input by xorriso. Nothing is
// written when the config does not validate; the output appears only whole.
func Customize(ctx context.Context, o CustomizeOptions) error {
	log := cmp.Or(o.Log, slog.New(slog.DiscardHandler))
	if !strings.HasPrefix(o.DestDevice, "/dev/") {
		return fmt.Errorf("destination device %q: give a device path such as /dev/vda", o.DestDevice)
	}
	units, err := readNetworkUnits(o)
	if err != nil {
		return err
	}
	in, err := Inspect(o.Input)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp(o.TempDir, "iso-customize-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	medium := "/" + deployarchive.MediumDir + "/"
	maps := map[string]string{}

	// 1. The Ignition config, validated for the OS on the ISO.
	c := live.Customization{Format: 1, DestDevice: o.DestDevice, AppendKargs: o.AppendKargs,
		DeleteKargs: o.DeleteKargs, Platform: o.Platform, NoReboot: o.NoReboot}
	c.NetworkUnits = units
	if o.IgnitionFile != "" {
		data, err := os.ReadFile(o.IgnitionFile)
		if err != nil {
			return fmt.Errorf("read the Ignition config: %w", err)
		}
		spec := ""
		if in.Manifest != nil {
			spec = in.Manifest.IgnitionSpec
		}
		cfg, err := ignition.Validate(data, spec)
		if err != nil {
			return fmt.Errorf("the Ignition config %s does not validate for the OS on %s: %w", o.IgnitionFile, o.Input, err)
		}
		p := filepath.Join(work, live.IgnitionName)
		if err := os.WriteFile(p, cfg, 0o600); err != nil {
			return err
		}
		maps[medium+live.IgnitionName] = p
		c.Ignition = true
	}
	cj, _ := json.MarshalIndent(c, "", "  ")
	if err := os.WriteFile(filepath.Join(work, live.CustomizeName), append(cj, '\n'), 0o644); err != nil {
		return err
	}
	maps[medium+live.CustomizeName] = filepath.Join(work, live.CustomizeName)

	// 2. Menus and build record with the live args.
	info := in.Info
	info.LiveArgs = append(append([]string(nil), info.LiveArgs...), o.LiveArgs...)
	if err := writeMenus(work, info); err != nil {
		return err
	}
	maps[medium+InfoName] = filepath.Join(work, InfoName)
	maps["/"+isoBIOSMenu] = filepath.Join(work, biosMenuFile)
	maps["/"+isoEFIMenu] = filepath.Join(work, efiMenuFile)

	// 3. The copy, through a temporary name beside the output.
	err = fsutil.WriteAtomicPath(o.Output, 0o644, func(tmp string) error {
		return run.Run(ctx, log, run.Cmd{Argv: xorrisoCustomizeArgs(o.Input, tmp, maps)})
	})
	if err != nil {
		return fmt.Errorf("write the customized ISO: %w", err)
	}
	return nil
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

// xorrisoCustomizeArgs builds the argv that copies in to out with files
// replaced or added (ISO path -> host file) and the boot equipment replayed.
func xorrisoCustomizeArgs(in, out string, maps map[string]string) []string {
	argv := []string{"xorriso", "-indev", in, "-outdev", out, "-boot_image", "any", "replay"}
	keys := make([]string, 0, len(maps))
	for k := range maps {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		argv = append(argv, "-map", maps[k], path.Clean(k))
	}
	return append(argv, "-commit")
}
