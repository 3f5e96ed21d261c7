package netconf

import (
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// HostLink is a network link of the machine (lo excluded).
type HostLink struct {
	Name string
	MAC  string // hardware address, e.g. 52:54:00:12:34:56
}

// Steps is what Plan asks the live system to do.
type Steps struct {
	// IP are the arguments of each `ip` command (u-root's ip), in order.
	IP [][]string
	// Hostname to set, or "".
	Hostname string
	// DHCP4 and DHCP6 are the links to run DHCP on; DHCPAll says every
	// link, with dhclient's default choice (no ip= given).
	DHCP4, DHCP6 []string
	DHCPAll      bool
	// ResolvConf is /etc/resolv.conf when nameservers were given ("": left
	// to DHCP).
	ResolvConf string
	// Units are the networkd units (file name -> content) that carry the
	// settings into the installed system: the embedded ones as they are,
	// and one per link configured by ip=.
	Units map[string][]byte
}

// DHCPRegexp is dhclient's interface argument for names.
func DHCPRegexp(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = regexp.QuoteMeta(n)
	}
	return "^(" + strings.Join(q, "|") + ")$"
}

// Plan resolves c against the machine's links: ip= for a link wins over the
// embedded units, and of the units the first by file name that matches a
// link configures it (as networkd picks). Without ip=, links no unit
// configures run DHCPv4 (the live system's default).
func (c *Config) Plan(links []HostLink) (*Steps, error) {
	s := &Steps{Units: map[string][]byte{}}
	done := map[string]bool{}
	var dns []string
	addDNS := func(l *Link) {
		for _, d := range l.DNS {
			if !containsStr(dns, d.String()) {
				dns = append(dns, d.String())
			}
		}
	}
	for _, n := range c.Nameservers {
		dns = append(dns, n.String())
	}
	for _, l := range c.Links {
		name := l.Name
		if name == "" {
			if len(links) != 1 {
				return nil, fmt.Errorf("kernel argument %s names no interface and this machine has %d links (%s); give IFACE", l.Source[0], len(links), hostNames(links))
			}
			name = links[0].Name
		}
		h, ok := findLink(links, name)
		if !ok {
			return nil, fmt.Errorf("kernel argument %s: this machine has no link %s; its links: %s", l.Source[0], name, hostNames(links))
		}
		if done[name] {
			return nil, fmt.Errorf("kernel arguments %s: one link configured twice (%s); give IFACE each time", strings.Join(l.Source, " "), name)
		}
		done[name] = true
		s.apply(name, l)
		addDNS(l)
		if !l.Off {
			s.Units[fmt.Sprintf("10-altcos-live-%s.network", name)] = renderUnit(l, h, c.Nameservers)
		}
	}
	for _, u := range c.Units {
		s.Units[u.Name] = u.Data
	}
	for _, h := range links {
		if done[h.Name] {
			continue
		}
		for _, u := range c.Units {
			if u.Matches(h.Name, h.MAC) {
				done[h.Name] = true
				s.apply(h.Name, &u.Link)
				addDNS(&u.Link)
				break
			}
		}
	}
	var rest []string
	for _, h := range links {
		if !done[h.Name] {
			rest = append(rest, h.Name)
		}
	}
	// DHCP links get the nameservers in the installed system too, from a
	// unit before its default DHCP unit (80-altcos-dhcp.network).
	all := &Link{DHCP4: c.AllDHCP4, DHCP6: c.AllDHCP6, Source: []string{"ip=dhcp"}}
	switch {
	case !c.Given && len(c.Units) == 0:
		s.DHCPAll = true
		all = &Link{DHCP4: true, DHCP6: true} // as the OS's own unit
	case !c.Given:
		s.DHCP4 = append(s.DHCP4, rest...)
		all = nil // the units say
	default:
		if c.AllDHCP4 {
			s.DHCP4 = append(s.DHCP4, rest...)
		}
		if c.AllDHCP6 {
			s.DHCP6 = append(s.DHCP6, rest...)
		}
	}
	if all != nil && (all.DHCP4 || all.DHCP6) && len(c.Nameservers) > 0 {
		s.Units["75-altcos-live-dhcp.network"] = renderUnit(all, HostLink{}, c.Nameservers)
	}
	if len(dns) > 0 {
		var b strings.Builder
		b.WriteString("# altcos-live: from nameserver= and the static network settings\n")
		for _, d := range dns {
			fmt.Fprintf(&b, "nameserver %s\n", d)
		}
		s.ResolvConf = b.String()
	}
	return s, nil
}

// apply adds the ip commands and DHCP of l on the link name.
func (s *Steps) apply(name string, l *Link) {
	if l.Off {
		return
	}
	if l.MTU > 0 {
		s.IP = append(s.IP, []string{"link", "set", "dev", name, "mtu", strconv.Itoa(l.MTU)})
	}
	s.IP = append(s.IP, []string{"link", "set", "dev", name, "up"})
	for _, a := range l.Addresses {
		s.IP = append(s.IP, []string{"addr", "add", a.String(), "dev", name})
	}
	for _, g := range l.Gateways {
		ip := []string{"route", "add", "default", "via", g.String(), "dev", name}
		if g.Is6() {
			ip = append([]string{"-6"}, ip...)
		}
		s.IP = append(s.IP, ip)
	}
	if l.DHCP4 {
		s.DHCP4 = append(s.DHCP4, name)
	}
	if l.DHCP6 {
		s.DHCP6 = append(s.DHCP6, name)
	}
	if l.Hostname != "" {
		s.Hostname = l.Hostname
	}
}

// renderUnit is the networkd unit of a link configured by ip=. It matches
// the link by its MAC address: the installed system's udev may rename it
// (eth0 in the live system, ens3 installed). Its low number puts it before
// the OS's DHCP unit, so that one does not match.
func renderUnit(l *Link, h HostLink, nameservers []netip.Addr) []byte {
	var b strings.Builder
	from := append([]string(nil), l.Source...)
	for _, n := range nameservers {
		from = append(from, "nameserver="+n.String())
	}
	b.WriteString("# Written by altcos-live from the kernel arguments " + strings.Join(from, " ") + "\n")
	b.WriteString("# (copied into the installed system by altcos-installer --copy-network)\n[Match]\n")
	switch {
	case h.MAC != "":
		fmt.Fprintf(&b, "MACAddress=%s\n", h.MAC)
	case h.Name != "":
		fmt.Fprintf(&b, "Name=%s\n", h.Name)
	default:
		b.WriteString("Type=ether\nKind=!veth\n")
	}
	if l.MTU > 0 {
		fmt.Fprintf(&b, "\n[Link]\nMTUBytes=%d\n", l.MTU)
	}
	fmt.Fprintf(&b, "\n[Network]\nDHCP=%s\n", dhcpValue(l))
	for _, a := range l.Addresses {
		fmt.Fprintf(&b, "Address=%s\n", a)
	}
	for _, g := range l.Gateways {
		fmt.Fprintf(&b, "Gateway=%s\n", g)
	}
	var dns []string
	for _, d := range append(append([]netip.Addr(nil), l.DNS...), nameservers...) {
		if !containsStr(dns, d.String()) {
			dns = append(dns, d.String())
		}
	}
	for _, d := range dns {
		fmt.Fprintf(&b, "DNS=%s\n", d)
	}
	return []byte(b.String())
}

func findLink(links []HostLink, name string) (HostLink, bool) {
	for _, h := range links {
		if h.Name == name {
			return h, true
		}
	}
	return HostLink{}, false
}

func hostNames(links []HostLink) string {
	if len(links) == 0 {
		return "none"
	}
	n := make([]string, len(links))
	for i, h := range links {
		n[i] = h.Name
	}
	sort.Strings(n)
	return strings.Join(n, ", ")
}
