package netconf

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"path"
	"strings"
)

// Unit is a systemd-networkd unit (.network, .netdev or .link). The live
// system applies the subset of a .network unit that Link holds ([Match]
// Name, MACAddress; [Network] Address, Gateway, DNS, DHCP); the installed
// system gets the whole file (--copy-network).
type Unit struct {
	Name string // file name, e.g. 10-eth0.network
	Data []byte
	// Match: the link names (globs) and MAC addresses of [Match]; both
	// empty matches every link. Only .network units have one.
	MatchNames, MatchMACs []string
	Link                  Link
	// Ignored lists what the live system does not apply (the installed
	// system still gets it).
	Ignored []string
}

// UnitExts are the networkd unit kinds.
var UnitExts = []string{".network", ".netdev", ".link"}

// CheckUnitName refuses a file name that is not a networkd unit's.
func CheckUnitName(name string) error {
	base := path.Base(name)
	ext := path.Ext(base)
	if !containsStr(UnitExts, ext) || base == ext || strings.ContainsAny(base, " \\") {
		return fmt.Errorf("network unit %s: the name must end with .network, .netdev or .link (systemd-networkd)", name)
	}
	return nil
}

// ParseUnit reads one unit file; name is its file name (its extension says
// the kind). Errors name the file and line.
func ParseUnit(name string, data []byte) (*Unit, error) {
	if err := CheckUnitName(name); err != nil {
		return nil, err
	}
	base := path.Base(name)
	ext := path.Ext(base)
	u := &Unit{Name: base, Data: data}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if strings.HasPrefix(line, "[") {
			if !strings.HasSuffix(line, "]") {
				return nil, fmt.Errorf("network unit %s line %d: %q: a section header ends with ']'", name, n, line)
			}
			section = line[1 : len(line)-1]
			continue
		}
		key, val, ok := strings.Cut(line, "=")
		if !ok || section == "" {
			return nil, fmt.Errorf("network unit %s line %d: %q: want KEY=VALUE inside a [Section]", name, n, line)
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		if ext != ".network" {
			continue
		}
		if err := u.set(section, key, val); err != nil {
			return nil, fmt.Errorf("network unit %s line %d: %s=%s: %w", name, n, key, val, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("network unit %s: %w", name, err)
	}
	if ext != ".network" {
		u.Ignored = append(u.Ignored, "the whole "+ext+" unit")
	}
	if u.Link.Static() && u.Link.DHCP4 {
		return nil, fmt.Errorf("network unit %s: Address= with DHCP=%s; the live system runs no DHCPv4 where an address is given", name, dhcpValue(&u.Link))
	}
	return u, nil
}

func (u *Unit) set(section, key, val string) error {
	l := &u.Link
	switch section + "." + key {
	case "Match.Name":
		for _, g := range strings.Fields(val) {
			if _, err := path.Match(g, ""); err != nil {
				return fmt.Errorf("bad glob %q", g)
			}
			u.MatchNames = append(u.MatchNames, g)
		}
	case "Match.MACAddress":
		for _, m := range strings.Fields(val) {
			hw, err := net.ParseMAC(m)
			if err != nil {
				return fmt.Errorf("not a MAC address")
			}
			u.MatchMACs = append(u.MatchMACs, hw.String())
		}
	case "Network.Address":
		p, err := parsePrefix(val, "")
		if err != nil {
			return err
		}
		l.Addresses = append(l.Addresses, p)
	case "Network.Gateway":
		g, err := parseAddr(val)
		if err != nil {
			return fmt.Errorf("not an IP address")
		}
		l.Gateways = append(l.Gateways, g)
	case "Network.DNS":
		for _, d := range strings.Fields(val) {
			a, err := parseAddr(d)
			if err != nil {
				return fmt.Errorf("%q is not an IP address", d)
			}
			l.DNS = append(l.DNS, a)
		}
	case "Network.DHCP":
		switch strings.ToLower(val) {
		case "yes", "true", "1", "on":
			l.DHCP4, l.DHCP6 = true, true
		case "ipv4":
			l.DHCP4, l.DHCP6 = true, false
		case "ipv6":
			l.DHCP4, l.DHCP6 = false, true
		case "no", "false", "0", "off":
			l.DHCP4, l.DHCP6 = false, false
		default:
			return fmt.Errorf("use yes, no, ipv4 or ipv6")
		}
	default:
		u.Ignored = append(u.Ignored, "["+section+"] "+key)
	}
	return nil
}

// Matches reports whether the .network unit u applies to the link name with
// hardware address mac (networkd: every given [Match] key must match).
func (u *Unit) Matches(name, mac string) bool {
	if path.Ext(u.Name) != ".network" {
		return false
	}
	if len(u.MatchNames) > 0 {
		ok := false
		for _, g := range u.MatchNames {
			if m, _ := path.Match(g, name); m {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	if len(u.MatchMACs) > 0 {
		hw, err := net.ParseMAC(mac)
		return err == nil && containsStr(u.MatchMACs, hw.String())
	}
	return true
}

func dhcpValue(l *Link) string {
	switch {
	case l.DHCP4 && l.DHCP6:
		return "yes"
	case l.DHCP4:
		return "ipv4"
	case l.DHCP6:
		return "ipv6"
	}
	return "no"
}

func containsStr(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}
