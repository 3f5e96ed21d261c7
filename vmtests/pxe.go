package vmtests

import (
	"context"
	"fmt"

	"github.com/altcos/altcos-tools/vmtests/qemu"
)

// pxeInstall is the pxe scenario: a PXE-style boot (-kernel -initrd -append)
// installs unattended with the Ignition config and its hash from the host's
// HTTP server; the installed disk then boots and passes checkInstalled.
// It starts with a power cut during that install (cutPower): the install
// that then succeeds goes onto the cut disk.
//
// The live system's network is static (ip=, nameserver=; no DHCP client may
// run: dhclient's last line fails the install) and the installer copies it
// (altcos.inst.copy_network): the installed system's link comes up from
// that unit, with no DHCP lease (checkStaticNetwork). QEMU's DHCP server
// hands out the same address, so the address alone proves nothing.
func pxeInstall(ctx context.Context, env *Env) error {
	kernel, initrd, err := pxeFiles(env)
	if err != nil {
		return err
	}
	srv, disk, err := serveConfigOnBlankDisk(ctx, env)
	if err != nil {
		return err
	}
	defer srv.Close()
	kargs := append(configInstallKargs(env, srv), staticNetKargs...)
	if err := cutPower(ctx, env, kernel, initrd, disk, kargs); err != nil {
		return err
	}
	c := pxeMachine(env, "pxe-install", kernel, initrd, disk, kargs...)
	env.step("%s: PXE-style boot, Ignition from %s", c.Name, srv.GuestURL("config.ign"))
	m, err := qemu.Start(ctx, env.Log, c)
	if err != nil {
		return err
	}
	defer m.Close()
	if err := runInstall(ctx, env, m, dhclientDone); err != nil {
		return err
	}
	m.Close()
	if n := srv.Hits("config.ign"); n < 1 {
		return fmt.Errorf("the installer never fetched %s", srv.GuestURL("config.ign"))
	}
	return checkAsRoot(ctx, env, env.diskMachine("pxe-disk", qemu.BIOS, disk, "raw"), firstBootOnly, srv, checkStaticNetwork)
}

// staticNetKargs configure the live system's link statically (QEMU's user
// network: gateway 10.0.2.2, DNS 10.0.2.3; the live system has no udev, the
// kernel names the link eth0) and ask the installer to copy it.
var staticNetKargs = []string{"ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:none", "nameserver=10.0.2.3", "altcos.inst.copy_network"}

// dhclientDone is the last line of u-root's dhclient.
const dhclientDone = "Finished trying to configure all interfaces"

// checkStaticNetwork: the installed system's link is configured by the unit
// the live system wrote for ip= (matched by MAC address: udev renamed eth0),
// not by the OS's DHCP unit; its address carries no lease.
func checkStaticNetwork(ctx context.Context, env *Env, c *checks, srv *qemu.Server) error {
	const dev = guestNIC
	steps := []struct {
		what, cmd, want string
		contains        []string
	}{
		{what: "networkd configured the link from the copied ip= unit, with its DNS", cmd: "networkctl status --no-pager " + dev,
			contains: []string{"Network File: /etc/systemd/network/10-altcos-live-eth0.network", "DNS: 10.0.2.3"}},
		{what: "10.0.2.15/24 is static: no 'dynamic' (leased) address on the link", cmd: "ip -4 -o addr show dev " + dev + " | grep -c 'inet 10.0.2.15/24.*dynamic'; ip -4 -o addr show dev " + dev + " | grep -c 'inet 10.0.2.15/24'", want: "0\n1"},
		{what: "no DHCP lease", cmd: "ls /run/systemd/netif/leases/ 2>/dev/null | wc -l", want: "0"},
	}
	for _, s := range steps {
		ok, err := c.expect(ctx, s.what, s.cmd, commandTimeout, s.want, s.contains...)
		if err != nil {
			return err
		}
		if ok {
			env.step("%s: ok: %s", c.m.Name, s.what)
		}
	}
	return nil
}
