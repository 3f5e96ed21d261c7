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

	"github.com/altcos/altcos-tools/deployarchive"
	"github.com/altcos/altcos-tools/initramfs/live"
	"github.com/altcos/altcos-tools/internal/fsutil"
	"github.com/altcos/altcos-tools/internal/run"
)

// EditOptions name the ISO that `iso ignition`, `iso kargs` and `iso reset`
// change: Output "" changes Input in place (through a temporary file and a
// rename, as every output here).
type EditOptions struct {
	Input, Output string
	TempDir       string
	Log           *slog.Logger
}

func (o EditOptions) output() string { return cmp.Or(o.Output, o.Input) }

// rewrite writes o's output: a copy of o.Input with the build record and
// menus of info, the customization files add (named in the medium's
// altcos/ folder) and the medium paths remove gone. xorriso replays the
// boot equipment.
func rewrite(ctx context.Context, o EditOptions, info Info, add []File, remove []string) error {
	log := cmp.Or(o.Log, slog.New(slog.DiscardHandler))
	work, err := os.MkdirTemp(o.TempDir, "iso-edit-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	medium := "/" + deployarchive.MediumDir + "/"
	if err := writeMenus(work, info); err != nil {
		return err
	}
	maps := map[string]string{
		medium + InfoName: filepath.Join(work, InfoName),
		"/" + isoBIOSMenu: filepath.Join(work, biosMenuFile),
		"/" + isoEFIMenu:  filepath.Join(work, efiMenuFile),
	}
	for _, f := range add {
		p := filepath.Join(work, "medium", filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.Data, f.Mode); err != nil {
			return err
		}
		if err := os.Chmod(p, f.Mode); err != nil { // past the umask: hooks stay executable
			return err
		}
		maps[medium+f.Name] = p
	}
	var rm []string
	for _, r := range remove {
		rm = append(rm, medium+r)
	}
	err = fsutil.WriteAtomicPath(o.output(), 0o644, func(tmp string) error {
		return run.Run(ctx, log, run.Cmd{Argv: xorrisoCustomizeArgs(o.Input, tmp, maps, rm)})
	})
	if err != nil {
		return fmt.Errorf("write the ISO %s: %w", o.output(), err)
	}
	return nil
}

// xorrisoCustomizeArgs builds the argv that copies in to out with the ISO
// paths rm removed, files replaced or added (ISO path -> host file) and the
// boot equipment replayed.
func xorrisoCustomizeArgs(in, out string, maps map[string]string, rm []string) []string {
	argv := []string{"xorriso", "-indev", in, "-outdev", out, "-boot_image", "any", "replay"}
	if len(rm) > 0 {
		argv = append(append(append(argv, "-rm_r"), rm...), "--")
	}
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

// customFiles lists the medium paths of c's files (customize.json included),
// folders for the hooks and installer configs.
func customFiles(c *live.Customization) []string {
	if c == nil {
		return nil
	}
	files := []string{live.CustomizeName}
	if c.Ignition {
		files = append(files, live.IgnitionName)
	}
	if len(c.PreInstall)+len(c.PostInstall) > 0 {
		files = append(files, live.HooksDir)
	}
	if len(c.InstallerConfigs) > 0 {
		files = append(files, live.InstallerConfigDir)
	}
	return files
}

func marshalCustomization(c *live.Customization) ([]byte, error) {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
