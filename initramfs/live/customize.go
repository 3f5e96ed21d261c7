package live

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/altcos/altcos-tools/deployarchive"
	"github.com/altcos/altcos-tools/initramfs/live/netconf"
)

// Files of `altcos-build iso customize` in the medium's altcos/ folder, and
// of `altcos-build pxe customize` in InitramfsCustomizeDir.
const (
	CustomizeName = "customize.json"
	IgnitionName  = "config.ign"
	// HooksDir holds the embedded --pre-install/--post-install programs.
	HooksDir = "hooks"
	// InstallerConfigDir holds the embedded installer.d YAML files; the
	// installer reads them as its drop-in folder (--config-dir).
	InstallerConfigDir = "installer.d"
	// InitramfsCustomizeDir is where `pxe customize`'s appended cpio segment
	// puts the same files as an ISO's altcos/ folder: a PXE boot has no medium.
	InitramfsCustomizeDir = "/etc/altcos/customize"
)

// Customization is what `altcos-build iso customize` (or `pxe customize`)
// embeds: the live init installs unattended with it when the system boots
// (Starts), or passes it on to an install that kernel arguments start.
type Customization struct {
	Format int `json:"format"` // 1
	// DestDevice is the target disk, e.g. /dev/vda; empty when an
	// installer config (or a kernel argument) names it.
	DestDevice string `json:"dest_device,omitempty"`
	// Ignition is set when the medium carries IgnitionName.
	Ignition    bool     `json:"ignition,omitempty"`
	AppendKargs []string `json:"append_karg,omitempty"`
	DeleteKargs []string `json:"delete_karg,omitempty"`
	Platform    string   `json:"platform,omitempty"`
	NoReboot    bool     `json:"no_reboot,omitempty"`

	// The rest of coreos-installer's customize options: the installed
	// system's consoles, hooks (file names in HooksDir) and installer
	// configs (file names in InstallerConfigDir, applied in lexical order).
	DestConsole      []string `json:"dest_console,omitempty"`
	PreInstall       []string `json:"pre_install,omitempty"`
	PostInstall      []string `json:"post_install,omitempty"`
	InstallerConfigs []string `json:"installer_config,omitempty"`

	// NetworkUnits are systemd-networkd units (iso customize
	// --network-unit): the live system applies them and the installer
	// copies them into the installed system (--copy-network).
	NetworkUnits []NetworkUnit `json:"network_units,omitempty"`
}

// NetworkUnit is one embedded networkd unit file.
type NetworkUnit struct {
	Name string `json:"name"` // e.g. 10-eth0.network
	Data string `json:"data"`
}

// Units parses the embedded network units, sorted by name (networkd's order).
func (c *Customization) Units() ([]*netconf.Unit, error) {
	var us []*netconf.Unit
	for _, n := range c.NetworkUnits {
		u, err := netconf.ParseUnit(n.Name, []byte(n.Data))
		if err != nil {
			return nil, err
		}
		us = append(us, u)
	}
	sort.Slice(us, func(i, j int) bool { return us[i].Name < us[j].Name })
	return us, nil
}

// ParseCustomization reads customize.json.
func ParseCustomization(data []byte) (*Customization, error) {
	var c Customization
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("parse %s: %w", CustomizeName, err)
	}
	if c.Format != 1 {
		return nil, fmt.Errorf("%s has format %d, this live system reads format 1", CustomizeName, c.Format)
	}
	for _, names := range [][]string{c.PreInstall, c.PostInstall, c.InstallerConfigs} {
		for _, n := range names {
			if n == "" || n != path.Base(n) || strings.HasPrefix(n, ".") {
				return nil, fmt.Errorf("%s: file name %q is not a plain name", CustomizeName, n)
			}
		}
	}
	if _, err := c.Units(); err != nil {
		return nil, fmt.Errorf("%s: %w", CustomizeName, err)
	}
	return &c, nil
}

// Starts says whether the customization starts an install by itself: it
// names the target disk, or carries installer configs (which may).
func (c *Customization) Starts() bool {
	return c.DestDevice != "" || len(c.InstallerConfigs) > 0
}

// Empty says whether nothing is left to embed (after `iso ignition remove`).
func (c *Customization) Empty() bool {
	e := Customization{Format: c.Format}
	b1, _ := json.Marshal(c)
	b2, _ := json.Marshal(e)
	return string(b1) == string(b2)
}

// InstallerArgs is the altcos-installer command line for c, with the
// customization's folder at dir. Flags win over the kernel's altcos.inst.*
// arguments; the installer configs are the drop-in folder, read before them.
func (c *Customization) InstallerArgs(dir string) []string {
	args := []string{"install", "--yes"}
	if len(c.InstallerConfigs) > 0 {
		args = append(args, "--config-dir", path.Join(dir, InstallerConfigDir))
	}
	if c.Ignition {
		args = append(args, "--ignition-file", path.Join(dir, IgnitionName))
	}
	for _, k := range c.AppendKargs {
		args = append(args, "--append-karg", k)
	}
	for _, k := range c.DeleteKargs {
		args = append(args, "--delete-karg", k)
	}
	for _, k := range c.DestConsole {
		args = append(args, "--console", k)
	}
	for _, h := range c.PreInstall {
		args = append(args, "--pre-install", path.Join(dir, HooksDir, h))
	}
	for _, h := range c.PostInstall {
		args = append(args, "--post-install", path.Join(dir, HooksDir, h))
	}
	if c.Platform != "" {
		args = append(args, "--platform", c.Platform)
	}
	if c.NoReboot {
		args = append(args, "--no-reboot")
	}
	if len(c.NetworkUnits) > 0 {
		args = append(args, "--copy-network")
	}
	if c.DestDevice != "" {
		args = append(args, c.DestDevice)
	}
	return args
}

// unattended returns the installer's command line when this boot installs by
// itself, or nil, and the customization found (or nil). A customization that names no disk (nor carries installer
// configs) still gives its settings to an install the kernel arguments start.
func unattended(env Env, flag func(...string) (string, bool)) ([]string, *Customization, error) {
	out := env.Out
	dir, c, err := findCustomization(env)
	if err != nil {
		return nil, nil, err
	}
	dev, byKarg := flag("altcos.inst.install_dev", "coreos.inst.install_dev")
	drop, _ := filepath.Glob(env.path(filepath.Join(planconfigDir, "*.yaml")))
	switch {
	case c != nil && c.Starts():
		what := c.DestDevice
		if what == "" {
			what = "the disk of its installer configs"
		}
		fmt.Fprintf(out, "altcos-live: the %s asks for an unattended install onto %s\n", customizationSource(dir), what)
		return c.InstallerArgs(dir), c, nil
	case byKarg:
		// The installer reads the other altcos.inst.* arguments itself.
		fmt.Fprintf(out, "altcos-live: altcos.inst.install_dev=%s: unattended install\n", dev)
		if c != nil {
			return c.InstallerArgs(dir), c, nil
		}
		return []string{"install", "--yes"}, c, nil
	case len(drop) > 0:
		fmt.Fprintf(out, "altcos-live: %s has installer configs: unattended install\n", planconfigDir)
		return []string{"install", "--yes"}, c, nil
	case c != nil && c.Ignition:
		fmt.Fprintf(out, "altcos-live: the %s carries an Ignition config for the installed system: altcos-installer install -i %s DISK\n",
			customizationSource(dir), filepath.Join(dir, IgnitionName))
	}
	return nil, c, nil
}

// planconfigDir is the installer's drop-in folder (planconfig.DefaultConfigDir;
// the live init does not link the installer's packages).
const planconfigDir = "/etc/altcos/installer.d"

// findCustomization reads customize.json from the boot medium's altcos/
// folder, else from InitramfsCustomizeDir (`pxe customize`); nil when
// neither has one.
func findCustomization(env Env) (string, *Customization, error) {
	for _, dir := range []string{filepath.Join(deployarchive.LiveMount, deployarchive.MediumDir), InitramfsCustomizeDir} {
		data, err := os.ReadFile(env.path(filepath.Join(dir, CustomizeName)))
		if err != nil {
			continue
		}
		c, err := ParseCustomization(data)
		if err != nil {
			return "", nil, fmt.Errorf("the %s's %s: %w; customize the image again", customizationSource(dir), CustomizeName, err)
		}
		return dir, c, nil
	}
	return "", nil, nil
}

func customizationSource(dir string) string {
	if dir == InitramfsCustomizeDir {
		return "PXE initramfs"
	}
	return "medium"
}
