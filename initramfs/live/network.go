package live

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/altcos/altcos-tools/initramfs/live/netconf"
	"github.com/altcos/altcos-tools/installer/kargs"
)

// NetworkDir holds the live system's networkd units: the ones embedded by
// `iso customize --network-unit` and one per link configured by ip=. It is
// altcos-installer's default --network-dir, so --copy-network carries them
// into the installed system.
const NetworkDir = "/etc/systemd/network"

// dhclientArgs configure every Ethernet interface over DHCPv4, giving up
// after about half a minute without a server.
var dhclientArgs = []string{"-ipv6=false", "-timeout", "10", "-retry", "2"}

// dhclient6Args are the same for DHCPv6.
var dhclient6Args = []string{"-ipv4=false", "-timeout", "10", "-retry", "2"}

// networkConfig reads ip= and nameserver= of the kernel arguments and the
// medium's units (from the customization, or nil).
func networkConfig(args []kargs.Arg, c *Customization) (*netconf.Config, error) {
	cfg, err := netconf.ParseKargs(args)
	if err != nil {
		return nil, err
	}
	if c != nil {
		units, err := c.Units()
		if err != nil {
			return nil, fmt.Errorf("the medium's %s: %w; customize the ISO again", CustomizeName, err)
		}
		cfg.Units = units
	}
	return cfg, nil
}

// hostLinks are the machine's network links but lo, with their MAC addresses.
func hostLinks(env Env) []netconf.HostLink {
	entries, _ := os.ReadDir(env.path("/sys/class/net"))
	var links []netconf.HostLink
	for _, e := range entries {
		if e.Name() == "lo" {
			continue
		}
		mac, _ := os.ReadFile(env.path(filepath.Join("/sys/class/net", e.Name(), "address")))
		links = append(links, netconf.HostLink{Name: e.Name(), MAC: strings.TrimSpace(string(mac))})
	}
	sort.Slice(links, func(i, j int) bool { return links[i].Name < links[j].Name })
	return links
}

// bringUpNetwork configures the links as cfg says with the real tools
// (u-root's ip and dhclient), writes resolv.conf and the units of
// NetworkDir. A failing command is reported and the rest carries on (the
// install's sources may be local); a configuration that does not fit the
// machine's links is an error.
func bringUpNetwork(ctx context.Context, env Env, cfg *netconf.Config) error {
	if env.Command == nil {
		return nil
	}
	s, err := cfg.Plan(hostLinks(env))
	if err != nil {
		return err
	}
	if len(s.Units) > 0 {
		dir := env.path(NetworkDir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		for name, data := range s.Units {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				return fmt.Errorf("write the network unit %s: %w", name, err)
			}
		}
	}
	if s.Hostname != "" {
		if err := env.Command(ctx, "hostname", s.Hostname); err != nil {
			env.warn("hostname %s: %v", s.Hostname, err)
		}
	}
	for _, a := range s.IP {
		env.kmsg("ip %s", strings.Join(a, " "))
		if err := env.Command(ctx, "ip", a...); err != nil {
			env.warn("ip %s: %v", strings.Join(a, " "), err)
		}
	}
	dhcp := func(args []string, names []string) {
		if len(names) > 0 {
			args = append(append([]string(nil), args...), netconf.DHCPRegexp(names))
		}
		if err := env.Command(ctx, "dhclient", args...); err != nil {
			env.warn("DHCP (dhclient %s): %v", strings.Join(args, " "), err)
		}
	}
	switch {
	case s.DHCPAll:
		dhcp(dhclientArgs, nil)
	case len(s.DHCP4) > 0:
		dhcp(dhclientArgs, s.DHCP4)
	}
	if len(s.DHCP6) > 0 {
		dhcp(dhclient6Args, s.DHCP6)
	}
	// After DHCP: nameserver= wins over what a lease wrote.
	if s.ResolvConf != "" {
		if err := os.WriteFile(env.path("/etc/resolv.conf"), []byte(s.ResolvConf), 0o644); err != nil {
			return fmt.Errorf("write /etc/resolv.conf: %w", err)
		}
	}
	return nil
}
