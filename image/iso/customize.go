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
	TempDir      string
	Log          *slog.Logger
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
