package live

import (
	"encoding/json"
	"fmt"
	"path"
	"sort"

	"github.com/altcos/altcos-tools/initramfs/live/netconf"
)

// Files of `altcos-build iso customize` in the medium's altcos/ folder.
const (
	CustomizeName = "customize.json"
	IgnitionName  = "config.ign"
)

// Customization is what `altcos-build iso customize` embeds in an ISO: the
// live init installs unattended with it when the ISO boots.
type Customization struct {
	Format int `json:"format"` // 1
	// DestDevice is the target disk, e.g. /dev/vda.
	DestDevice string `json:"dest_device"`
	// Ignition is set when the medium carries IgnitionName.
	Ignition    bool     `json:"ignition,omitempty"`
	AppendKargs []string `json:"append_karg,omitempty"`
	DeleteKargs []string `json:"delete_karg,omitempty"`
	Platform    string   `json:"platform,omitempty"`
	NoReboot    bool     `json:"no_reboot,omitempty"`

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
	if c.DestDevice == "" {
		return nil, fmt.Errorf("%s names no destination device", CustomizeName)
	}
	if _, err := c.Units(); err != nil {
		return nil, fmt.Errorf("%s: %w", CustomizeName, err)
	}
	return &c, nil
}

// InstallerArgs is the altcos-installer command line for c, with the medium's
// altcos/ folder at dir. Flags win over the kernel's altcos.inst.* arguments.
func (c *Customization) InstallerArgs(dir string) []string {
	args := []string{"install", "--yes"}
	if c.Ignition {
		args = append(args, "--ignition-file", path.Join(dir, IgnitionName))
	}
	for _, k := range c.AppendKargs {
		args = append(args, "--append-karg", k)
	}
	for _, k := range c.DeleteKargs {
		args = append(args, "--delete-karg", k)
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
	return append(args, c.DestDevice)
}
