package installer

// --copy-network: the live system's systemd-networkd units into the
// installed system's /etc (coreos-installer copies NetworkManager keyfiles;
// this OS runs networkd).

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/altcos/altcos-tools/initramfs/live/netconf"
)

// DefaultNetworkDir is where the live system keeps the units of its network
// (initramfs/live.NetworkDir): the ones of ip= and of `iso customize
// --network-unit`. --copy-network copies it unless --network-dir says
// another.
const DefaultNetworkDir = "/etc/systemd/network"

// NetworkFile is one networkd unit to copy.
type NetworkFile struct {
	Name string
	Data []byte
}

// ReadNetworkDir reads the networkd units (*.network, *.netdev, *.link) of
// dir, sorted by name, each checked to be a unit file; other files and
// folders are skipped. Errors name the file.
func ReadNetworkDir(dir string) ([]NetworkFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("network folder %s: %w", dir, errors.Unwrap(err))
	}
	var files []NetworkFile
	for _, e := range entries {
		if !e.Type().IsRegular() || !isUnitName(e.Name()) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		if _, err := netconf.ParseUnit(p, data); err != nil {
			return nil, err
		}
		files = append(files, NetworkFile{Name: e.Name(), Data: data})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	return files, nil
}

func isUnitName(n string) bool {
	for _, x := range netconf.UnitExts {
		if filepath.Ext(n) == x && len(n) > len(x) {
			return true
		}
	}
	return false
}

// copyNetwork writes the units of the plan's network folder into the
// deployment's /etc/systemd/network, where networkd of the installed
// system reads them before the OS's own (/usr/lib/systemd/network).
func copyNetwork(s *state) error {
	if !s.plan.CopyNetwork {
		return nil
	}
	dir := s.plan.NetworkDir
	if dir == "" {
		dir = DefaultNetworkDir
	}
	files, err := ReadNetworkDir(dir)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		s.env.Progress.Info("copy network: no networkd units in " + dir + "; the installed system keeps its default network (DHCP)")
		return nil
	}
	dst := filepath.Join(s.deploymentDir(), "etc", "systemd", "network")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for _, f := range files {
		p := filepath.Join(dst, f.Name)
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			return fmt.Errorf("copy the network unit %s: %w", f.Name, err)
		}
		if err := os.Chmod(p, 0o644); err != nil {
			return err
		}
		s.env.Progress.Info("copy network: " + f.Name + " into the installed system's /etc/systemd/network")
	}
	return nil
}
