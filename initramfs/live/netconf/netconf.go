// Package netconf is the live system's network configuration: dracut-style
// ip= and nameserver= kernel arguments (man dracut.cmdline) and the
// systemd-networkd units embedded by `altcos-build iso customize
// --network-unit`, read into a small typed Config; Plan turns it, for the
// links the machine has, into the `ip` commands, the links to run DHCP on,
// resolv.conf and the networkd units that carry the same settings into the
// installed system (altcos-installer --copy-network).
//
// Supported ip= forms:
//
//	ip=dhcp | ip=on | ip=any | ip=dhcp6 | ip=off | ip=none       every link
//	ip=IFACE:dhcp | IFACE:dhcp6 | IFACE:off                       one link
//	ip=ADDR::GW:MASK:HOST:IFACE:none[:DNS1[:DNS2]]                static (off or empty = none)
//	ip=ADDR::GW:MASK:HOST:IFACE:none:MTU                          static with an MTU
//	ip=::::HOST:IFACE:dhcp                                        DHCP with a hostname
//
// IPv6 addresses go in brackets ([2001:db8::2]); MASK is a dotted mask or a
// prefix length; an empty IFACE is the machine's only Ethernet link.
package netconf

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/altcos/altcos-tools/installer/kargs"
)

// Link is the configuration of one network link (interface).
type Link struct {
	// Name is the kernel's interface name; "" is the machine's only link.
	Name      string
	Addresses []netip.Prefix
	Gateways  []netip.Addr
	DNS       []netip.Addr
	DHCP4     bool
	DHCP6     bool
	Off       bool // ip=IFACE:off: not configured
	MTU       int
	Hostname  string
	// Source names the arguments it came from, for messages.
	Source []string
}

// Static reports whether the link has a static address.
func (l *Link) Static() bool { return len(l.Addresses) > 0 }

// Config is what the kernel command line and the embedded units ask for.
type Config struct {
	// Given is true when any ip= was given; without one every link runs
	// DHCPv4, as the live system always did.
	Given bool
	// AllDHCP4 and AllDHCP6 are ip=dhcp and ip=dhcp6 without an interface:
	// DHCP on every link not configured otherwise.
	AllDHCP4, AllDHCP6 bool
	Links              []*Link // ip= per interface, in order of first mention
	Nameservers        []netip.Addr
	Units              []*Unit // embedded networkd units, sorted by file name
}

// ParseKargs reads ip= and nameserver= from the kernel arguments; the others
// are not its business. Errors name the argument.
func ParseKargs(args []kargs.Arg) (*Config, error) {
	c := &Config{}
	for _, a := range args {
		switch a.Key {
		case "ip":
			if err := c.addIP(a.Value); err != nil {
				return nil, fmt.Errorf("kernel argument ip=%s: %w", a.Value, err)
			}
		case "nameserver":
			ip, err := parseAddr(a.Value)
			if err != nil {
				return nil, fmt.Errorf("kernel argument nameserver=%s: not an IP address; give one address per nameserver=", a.Value)
			}
			if !contains(c.Nameservers, ip) {
				c.Nameservers = append(c.Nameservers, ip)
			}
		}
	}
	return c, c.check()
}

const staticForm = "ADDR::GW:MASK:HOST:IFACE:none"

func (c *Config) addIP(v string) error {
	c.Given = true
	f, err := splitFields(v)
	if err != nil {
		return err
	}
	switch len(f) {
	case 1:
		switch f[0] {
		case "dhcp", "on", "any":
			c.AllDHCP4 = true
		case "dhcp6":
			c.AllDHCP6 = true
		case "off", "none":
		default:
			return fmt.Errorf("unknown method %q; use dhcp, dhcp6, off, IFACE:dhcp or %s", f[0], staticForm)
		}
		return nil
	case 2:
		if f[0] == "" {
			return fmt.Errorf("no interface before the colon; use IFACE:dhcp")
		}
		l := c.link(f[0])
		if err := l.method(f[1], false); err != nil {
			return err
		}
		l.Source = append(l.Source, "ip="+v)
		return nil
	case 7, 8, 9:
	default:
		return fmt.Errorf("%d fields separated by ':'; the static form has 7: %s", len(f), staticForm)
	}
	addr, peer, gw, mask, host, iface, auto := f[0], f[1], f[2], f[3], f[4], f[5], f[6]
	if peer != "" {
		return fmt.Errorf("a point-to-point peer (%s) is not supported; leave the second field empty", peer)
	}
	if host != "" && !validHostname(host) {
		return fmt.Errorf("hostname %q: use letters, digits, '-' and '.'", host)
	}
	var l *Link
	if addr == "" {
		// ::::HOST:IFACE:dhcp — a method with a hostname.
		if gw != "" || mask != "" {
			return fmt.Errorf("a gateway or mask without an address; give ADDR too (%s)", staticForm)
		}
		if iface == "" {
			return fmt.Errorf("neither an address nor an interface; use ip=dhcp")
		}
		l = c.link(iface)
		if err := l.method(auto, false); err != nil {
			return err
		}
	} else {
		l = c.link(iface)
		if err := l.method(auto, true); err != nil {
			return err
		}
		p, err := parsePrefix(addr, mask)
		if err != nil {
			return err
		}
		if !containsPrefix(l.Addresses, p) {
			l.Addresses = append(l.Addresses, p)
		}
		if gw != "" {
			g, err := parseAddr(gw)
			if err != nil {
				return fmt.Errorf("gateway %q is not an IP address", gw)
			}
			if g.Is4() != p.Addr().Is4() {
				return fmt.Errorf("gateway %s and address %s are of different IP versions", g, p.Addr())
			}
			if !contains(l.Gateways, g) {
				l.Gateways = append(l.Gateways, g)
			}
		}
	}
	if host != "" {
		l.Hostname = host
	}
	for _, x := range f[7:] {
		if x == "" {
			continue
		}
		if ip, err := parseAddr(x); err == nil {
			if !contains(l.DNS, ip) {
				l.DNS = append(l.DNS, ip)
			}
			continue
		}
		if n, err := strconv.Atoi(x); err == nil && len(f) == 8 {
			if n < 68 || n > 65535 {
				return fmt.Errorf("MTU %d: give 68 to 65535", n)
			}
			l.MTU = n
			continue
		}
		return fmt.Errorf("%q after the method is neither a nameserver address nor an MTU (a MAC address is not supported)", x)
	}
	l.Source = append(l.Source, "ip="+v)
	return nil
}

// method applies an autoconf method; static says an address was given.
func (l *Link) method(m string, static bool) error {
	switch m {
	case "", "none", "off":
		if !static {
			if m == "" {
				return fmt.Errorf("no method; use IFACE:dhcp, IFACE:dhcp6 or IFACE:off")
			}
			l.Off = true
		}
	case "dhcp", "on", "any":
		if static {
			return fmt.Errorf("a static address with method %s: the live system runs no DHCP where an address is given; end with :none", m)
		}
		l.DHCP4 = true
	case "dhcp6":
		if static {
			return fmt.Errorf("a static address with method dhcp6; give the static address and ip=IFACE:dhcp6 as two ip= arguments")
		}
		l.DHCP6 = true
	default:
		return fmt.Errorf("unknown method %q; use none (static), dhcp, dhcp6 or off", m)
	}
	return nil
}

func (c *Config) link(name string) *Link {
	for _, l := range c.Links {
		if l.Name == name {
			return l
		}
	}
	l := &Link{Name: name}
	c.Links = append(c.Links, l)
	return l
}

// check refuses contradictions between several ip= of one link.
func (c *Config) check() error {
	for _, l := range c.Links {
		what := l.Name
		if what == "" {
			what = "the unnamed interface"
		}
		switch {
		case l.Static() && l.DHCP4:
			return fmt.Errorf("kernel arguments %s: %s gets a static address and DHCPv4; the live system runs no DHCP where an address is given, drop one", strings.Join(l.Source, " "), what)
		case l.Off && (l.Static() || l.DHCP4 || l.DHCP6):
			return fmt.Errorf("kernel arguments %s: %s is off and configured at once; drop one", strings.Join(l.Source, " "), what)
		}
	}
	return nil
}

// splitFields splits an ip= value at colons outside [brackets].
func splitFields(v string) ([]string, error) {
	var f []string
	var cur strings.Builder
	depth := 0
	for _, r := range v {
		switch {
		case r == '[':
			depth++
		case r == ']':
			if depth == 0 {
				return nil, fmt.Errorf("']' without '['")
			}
			depth--
		case r == ':' && depth == 0:
			f = append(f, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteRune(r)
	}
	if depth != 0 {
		return nil, fmt.Errorf("'[' without ']'")
	}
	return append(f, cur.String()), nil
}

func parseAddr(s string) (netip.Addr, error) {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, err
	}
	return a.Unmap(), nil
}

// parsePrefix reads ADDR with MASK (dotted or a prefix length) or ADDR/LEN.
func parsePrefix(addr, mask string) (netip.Prefix, error) {
	if a, l, ok := strings.Cut(addr, "/"); ok {
		if mask != "" {
			return netip.Prefix{}, fmt.Errorf("address %s has a prefix length and a mask %s; give one", addr, mask)
		}
		addr, mask = a, l
	}
	a, err := parseAddr(addr)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("address %q is not an IP address", addr)
	}
	if mask == "" {
		return netip.Prefix{}, fmt.Errorf("address %s has no mask; give one, e.g. 255.255.255.0 or 24", a)
	}
	bits, err := maskBits(mask, a.Is4())
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, bits), nil
}

func maskBits(mask string, v4 bool) (int, error) {
	max := 128
	if v4 {
		max = 32
	}
	if n, err := strconv.Atoi(mask); err == nil {
		if n < 1 || n > max {
			return 0, fmt.Errorf("prefix length %d: give 1 to %d", n, max)
		}
		return n, nil
	}
	m, err := netip.ParseAddr(mask)
	if err != nil || !m.Is4() || !v4 {
		return 0, fmt.Errorf("mask %q is neither a prefix length nor a dotted IPv4 mask", mask)
	}
	b := m.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	n := 0
	for v&(1<<31) != 0 {
		n++
		v <<= 1
	}
	if v != 0 || n == 0 {
		return 0, fmt.Errorf("mask %s is not a contiguous netmask", mask)
	}
	return n, nil
}

func validHostname(h string) bool {
	if len(h) > 253 {
		return false
	}
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

func contains(s []netip.Addr, a netip.Addr) bool {
	for _, x := range s {
		if x == a {
			return true
		}
	}
	return false
}

func containsPrefix(s []netip.Prefix, p netip.Prefix) bool {
	for _, x := range s {
		if x == p {
			return true
		}
	}
	return false
}
