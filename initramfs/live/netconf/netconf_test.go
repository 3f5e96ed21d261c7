package netconf

import (
	"reflect"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/installer/kargs"
)

var oneLink = []HostLink{{Name: "eth0", MAC: "52:54:00:12:34:56"}}
var twoLinks = []HostLink{{Name: "eth0", MAC: "52:54:00:12:34:56"}, {Name: "eth1", MAC: "52:54:00:12:34:57"}}

func plan(t *testing.T, cmdline string, links []HostLink) (*Steps, error) {
	t.Helper()
	args, err := kargs.Parse(cmdline)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseKargs(args)
	if err != nil {
		return nil, err
	}
	return c.Plan(links)
}

func TestPlan(t *testing.T) {
	tests := []struct {
		name, cmdline string
		links         []HostLink
		ip            [][]string
		dhcp4, dhcp6  []string
		all           bool
		resolv        []string // nameserver lines
		units         []string // file names
		hostname      string
	}{
		{name: "no ip=: DHCPv4 everywhere, as before", cmdline: "console=ttyS0", links: twoLinks, all: true},
		{name: "ip=dhcp", cmdline: "ip=dhcp", links: twoLinks, dhcp4: []string{"eth0", "eth1"}},
		{name: "ip=dhcp6", cmdline: "ip=dhcp6", links: oneLink, dhcp6: []string{"eth0"}},
		{name: "ip=off", cmdline: "ip=off", links: twoLinks},
		{name: "static, the issue's line", cmdline: "ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:none nameserver=10.0.2.3", links: oneLink,
			ip: [][]string{{"link", "set", "dev", "eth0", "up"}, {"addr", "add", "10.0.2.15/24", "dev", "eth0"},
				{"route", "add", "default", "via", "10.0.2.2", "dev", "eth0"}},
			resolv: []string{"10.0.2.3"}, units: []string{"10-altcos-live-eth0.network"}},
		{name: "static without IFACE on the only link", cmdline: "ip=192.0.2.5::192.0.2.1:24:node1::off", links: oneLink,
			ip: [][]string{{"link", "set", "dev", "eth0", "up"}, {"addr", "add", "192.0.2.5/24", "dev", "eth0"},
				{"route", "add", "default", "via", "192.0.2.1", "dev", "eth0"}},
			units: []string{"10-altcos-live-eth0.network"}, hostname: "node1"},
		{name: "static on one link, DHCP on all others: not on the static one", cmdline: "ip=dhcp ip=10.0.0.2::10.0.0.1:255.255.0.0::eth1:none", links: twoLinks,
			ip: [][]string{{"link", "set", "dev", "eth1", "up"}, {"addr", "add", "10.0.0.2/16", "dev", "eth1"},
				{"route", "add", "default", "via", "10.0.0.1", "dev", "eth1"}},
			dhcp4: []string{"eth0"}, units: []string{"10-altcos-live-eth1.network"}},
		{name: "two ip= on one link: v4 static and dhcp6", cmdline: "ip=10.0.0.2::10.0.0.1:24::eth0:none ip=eth0:dhcp6", links: oneLink,
			ip: [][]string{{"link", "set", "dev", "eth0", "up"}, {"addr", "add", "10.0.0.2/24", "dev", "eth0"},
				{"route", "add", "default", "via", "10.0.0.1", "dev", "eth0"}},
			dhcp6: []string{"eth0"}, units: []string{"10-altcos-live-eth0.network"}},
		{name: "two static addresses on one link", cmdline: "ip=10.0.0.2::10.0.0.1:24::eth0:none ip=10.0.1.2:::24::eth0:none", links: oneLink,
			ip: [][]string{{"link", "set", "dev", "eth0", "up"}, {"addr", "add", "10.0.0.2/24", "dev", "eth0"},
				{"addr", "add", "10.0.1.2/24", "dev", "eth0"}, {"route", "add", "default", "via", "10.0.0.1", "dev", "eth0"}},
			units: []string{"10-altcos-live-eth0.network"}},
		{name: "IPv6 static with DNS fields", cmdline: "ip=[2001:db8::2]::[2001:db8::1]:64::eth0:none:[2001:db8::53]:192.0.2.53", links: oneLink,
			ip: [][]string{{"link", "set", "dev", "eth0", "up"}, {"addr", "add", "2001:db8::2/64", "dev", "eth0"},
				{"-6", "route", "add", "default", "via", "2001:db8::1", "dev", "eth0"}},
			resolv: []string{"2001:db8::53", "192.0.2.53"}, units: []string{"10-altcos-live-eth0.network"}},
		{name: "MTU", cmdline: "ip=10.0.0.2:::24::eth0:none:9000", links: oneLink,
			ip:    [][]string{{"link", "set", "dev", "eth0", "mtu", "9000"}, {"link", "set", "dev", "eth0", "up"}, {"addr", "add", "10.0.0.2/24", "dev", "eth0"}},
			units: []string{"10-altcos-live-eth0.network"}},
		{name: "per link dhcp, others left alone", cmdline: "ip=eth1:dhcp", links: twoLinks, dhcp4: []string{"eth1"},
			ip: [][]string{{"link", "set", "dev", "eth1", "up"}}, units: []string{"10-altcos-live-eth1.network"}},
		{name: "hostname with dhcp", cmdline: "ip=::::box:eth0:dhcp", links: oneLink, dhcp4: []string{"eth0"},
			ip: [][]string{{"link", "set", "dev", "eth0", "up"}}, units: []string{"10-altcos-live-eth0.network"}, hostname: "box"},
		{name: "nameservers alone: DHCP everywhere, DNS for the installed system", cmdline: "nameserver=192.0.2.53", links: oneLink, all: true,
			resolv: []string{"192.0.2.53"}, units: []string{"75-altcos-live-dhcp.network"}},
		{name: "nameservers with DHCP everywhere", cmdline: "ip=dhcp nameserver=1.1.1.1 nameserver=9.9.9.9 nameserver=1.1.1.1", links: oneLink,
			dhcp4: []string{"eth0"}, resolv: []string{"1.1.1.1", "9.9.9.9"}, units: []string{"75-altcos-live-dhcp.network"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := plan(t, tt.cmdline, tt.links)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(s.IP, tt.ip) {
				t.Errorf("ip commands\n got %q\nwant %q", s.IP, tt.ip)
			}
			if !reflect.DeepEqual(s.DHCP4, tt.dhcp4) || !reflect.DeepEqual(s.DHCP6, tt.dhcp6) || s.DHCPAll != tt.all {
				t.Errorf("DHCP: v4 %q v6 %q all %v; want %q %q %v", s.DHCP4, s.DHCP6, s.DHCPAll, tt.dhcp4, tt.dhcp6, tt.all)
			}
			var ns []string
			for _, l := range strings.Split(s.ResolvConf, "\n") {
				if a, ok := strings.CutPrefix(l, "nameserver "); ok {
					ns = append(ns, a)
				}
			}
			if !reflect.DeepEqual(ns, tt.resolv) {
				t.Errorf("resolv.conf nameservers %q, want %q", ns, tt.resolv)
			}
			var units []string
			for n := range s.Units {
				units = append(units, n)
			}
			if !reflect.DeepEqual(units, tt.units) {
				t.Errorf("units %q, want %q", units, tt.units)
			}
			if s.Hostname != tt.hostname {
				t.Errorf("hostname %q, want %q", s.Hostname, tt.hostname)
			}
		})
	}
}

// The unit of a static link matches its MAC address (udev renames eth0 in
// the installed system), has DHCP off and the nameservers; it parses back
// to the same settings.
func TestStaticUnit(t *testing.T) {
	s, err := plan(t, "ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:none nameserver=10.0.2.3", oneLink)
	if err != nil {
		t.Fatal(err)
	}
	data := s.Units["10-altcos-live-eth0.network"]
	for _, want := range []string{"MACAddress=52:54:00:12:34:56\n", "DHCP=no\n", "Address=10.0.2.15/24\n", "Gateway=10.0.2.2\n", "DNS=10.0.2.3\n"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("unit lacks %q:\n%s", want, data)
		}
	}
	if strings.Contains(string(data), "Name=") {
		t.Errorf("unit matches by name:\n%s", data)
	}
	u, err := ParseUnit("10-altcos-live-eth0.network", data)
	if err != nil {
		t.Fatal(err)
	}
	if !u.Matches("ens3", "52:54:00:12:34:56") || u.Matches("ens3", "52:54:00:12:34:99") {
		t.Errorf("the unit must match the MAC address whatever the name")
	}
	if len(u.Link.Addresses) != 1 || u.Link.DHCP4 || u.Link.DHCP6 || len(u.Ignored) != 0 {
		t.Errorf("parsed back: %+v, ignored %q", u.Link, u.Ignored)
	}
}

func TestBadInput(t *testing.T) {
	tests := []struct{ cmdline, want string }{
		{"ip=dhcpx", `ip=dhcpx: unknown method "dhcpx"`},
		{"ip=eth0:static", `ip=eth0:static: unknown method "static"`},
		{"ip=:dhcp", "no interface"},
		{"ip=10.0.2.15::10.0.2.2:255.255.255.0", "4 fields"},
		{"ip=10.0.2.300::10.0.2.2:255.255.255.0::eth0:none", `address "10.0.2.300" is not an IP address`},
		{"ip=10.0.2.15::10.0.2.2:::eth0:none", "ip=10.0.2.15::10.0.2.2:::eth0:none: address 10.0.2.15 has no mask"},
		{"ip=10.0.2.15::10.0.2.2:255.0.255.0::eth0:none", "not a contiguous netmask"},
		{"ip=10.0.2.15::10.0.2.2:33::eth0:none", "prefix length 33"},
		{"ip=10.0.2.15::gw:24::eth0:none", `gateway "gw" is not an IP address`},
		{"ip=10.0.2.15::2001:db8::1:24::eth0:none", "fields"},
		{"ip=10.0.2.15::[2001:db8::1]:24::eth0:none", "different IP versions"},
		{"ip=10.0.2.15:10.0.2.1:10.0.2.2:24::eth0:none", "point-to-point"},
		{"ip=10.0.2.15::10.0.2.2:24::eth0:dhcp", "runs no DHCP where an address is given"},
		{"ip=10.0.2.15::10.0.2.2:24::eth0:none ip=eth0:dhcp", "eth0 gets a static address and DHCPv4"},
		{"ip=eth0:off ip=eth0:dhcp", "off and configured"},
		{"ip=10.0.2.15::10.0.2.2:24:bad_host:eth0:none", `hostname "bad_host"`},
		{"ip=10.0.2.15:::24::eth0:none:52:54:00:12:34:56", "fields"},
		{"ip=10.0.2.15:::24::eth0:none:12", "MTU 12"},
		{"ip=[2001:db8::2::[2001:db8::1]:64::eth0:none", "'[' without ']'"},
		{"nameserver=dns.example", "nameserver=dns.example: not an IP address"},
		{"nameserver=", "nameserver=: not an IP address"},
	}
	for _, tt := range tests {
		_, err := plan(t, tt.cmdline, oneLink)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.cmdline, err, tt.want)
		}
	}
	// Refused against the machine's links.
	for _, tt := range []struct {
		cmdline string
		links   []HostLink
		want    string
	}{
		{"ip=10.0.2.15:::24:::none", twoLinks, "names no interface and this machine has 2 links (eth0, eth1); give IFACE"},
		{"ip=10.0.2.15:::24::eth9:none", twoLinks, "no link eth9; its links: eth0, eth1"},
		{"ip=10.0.2.15:::24:::none ip=eth0:dhcp6", oneLink, "configured twice"},
	} {
		_, err := plan(t, tt.cmdline, tt.links)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.cmdline, err, tt.want)
		}
	}
}

func TestUnits(t *testing.T) {
	static, err := ParseUnit("20-static.network", []byte("[Match]\nName=eth1\n\n[Network]\nAddress=192.0.2.7/24\nGateway=192.0.2.1\nDNS=192.0.2.53 192.0.2.54\nLLDP=yes\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(static.Ignored, []string{"[Network] LLDP"}) {
		t.Errorf("ignored %q", static.Ignored)
	}
	bond, err := ParseUnit("10-bond0.netdev", []byte("[NetDev]\nName=bond0\nKind=bond\n"))
	if err != nil {
		t.Fatal(err)
	}
	c := &Config{Units: []*Unit{bond, static}}
	s, err := c.Plan(twoLinks)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"link", "set", "dev", "eth1", "up"}, {"addr", "add", "192.0.2.7/24", "dev", "eth1"},
		{"route", "add", "default", "via", "192.0.2.1", "dev", "eth1"}}
	if !reflect.DeepEqual(s.IP, want) || !reflect.DeepEqual(s.DHCP4, []string{"eth0"}) || s.DHCPAll {
		t.Errorf("ip %q dhcp4 %q all %v", s.IP, s.DHCP4, s.DHCPAll)
	}
	if len(s.Units) != 2 || !strings.Contains(s.ResolvConf, "nameserver 192.0.2.54\n") {
		t.Errorf("units %d, resolv.conf %q", len(s.Units), s.ResolvConf)
	}
	// ip= for the link wins over the unit.
	args, _ := kargs.Parse("ip=eth1:dhcp")
	c, _ = ParseKargs(args)
	c.Units = []*Unit{static}
	if s, err = c.Plan(twoLinks); err != nil || len(s.IP) != 1 || !reflect.DeepEqual(s.DHCP4, []string{"eth1"}) {
		t.Errorf("ip= over a unit: %q %q %v", s.IP, s.DHCP4, err)
	}

	for _, tt := range []struct{ name, data, want string }{
		{"eth0.conf", "[Match]\nName=eth0\n", "must end with .network"},
		{"a.network", "Name=eth0\n", "line 1: \"Name=eth0\": want KEY=VALUE inside a [Section]"},
		{"a.network", "[Match\n", "line 1"},
		{"a.network", "[Network]\nAddress=10.0.0.1\n", "a.network line 2: Address=10.0.0.1: address 10.0.0.1 has no mask"},
		{"a.network", "[Network]\nDHCP=maybe\n", "DHCP=maybe: use yes, no, ipv4 or ipv6"},
		{"a.network", "[Match]\nMACAddress=zz\n", "not a MAC address"},
		{"a.network", "[Network]\nAddress=10.0.0.2/24\nDHCP=yes\n", "Address= with DHCP=yes"},
	} {
		_, err := ParseUnit(tt.name, []byte(tt.data))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %q: error %v, want one containing %q", tt.name, tt.data, err, tt.want)
		}
	}
}
