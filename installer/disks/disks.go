// Package disks finds the block devices of a system the way lsblk shows them,
// from a root path (/ on a live system, a fake tree in tests): /sys/block and
// /sys/class/block, /proc/self/mountinfo, /proc/swaps, holders (dm, md, LVM)
// and the filesystem superblocks of each device. It never runs lsblk. Each
// disk carries the reasons it cannot be the install target.
package disks

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/altcos/altcos-tools/deployarchive"
)

// DefaultMinBytes is the smallest target disk the installer accepts.
const DefaultMinBytes = 8 << 30

// Device is one block device: a disk, a partition, or a holder (dm, md) on top of one.
type Device struct {
	Name       string    `json:"name"`  // as lsblk shows it: vda, vda1, vg-root (dm name), md0
	KName      string    `json:"kname"` // kernel name: dm-0
	Path       string    `json:"path"`  // /dev/vda, /dev/mapper/vg-root
	MajMin     string    `json:"maj:min"`
	Size       int64     `json:"size"`
	Type       string    `json:"type"` // disk, part, rom, loop, lvm, crypt, dm, raid1, ...
	ReadOnly   bool      `json:"ro"`
	Removable  bool      `json:"rm"`
	Rotational bool      `json:"rota"`
	LogSec     int       `json:"log-sec,omitempty"`
	PhySec     int       `json:"phy-sec,omitempty"`
	Model      string    `json:"model,omitempty"`
	Serial     string    `json:"serial,omitempty"`
	Transport  string    `json:"tran,omitempty"` // nvme, virtio, sata, usb, scsi
	FSType     string    `json:"fstype,omitempty"`
	Label      string    `json:"label,omitempty"`
	Mounts     []string  `json:"mountpoints,omitempty"`
	Swap       bool      `json:"swap,omitempty"`
	Holders    []string  `json:"holders,omitempty"` // kernel names of the devices built on this one
	Children   []*Device `json:"children,omitempty"`

	// Live says this is (or holds) the medium the live system booted from.
	Live bool `json:"live,omitempty"`
	// Reasons is why this device cannot be the install target; empty means it can.
	Reasons []string `json:"reasons,omitempty"`

	sysDir string
}

// Options tune List.
type Options struct {
	// MinBytes is the smallest acceptable target; 0 means DefaultMinBytes.
	MinBytes int64
	// All lists empty devices and RAM disks too (lsblk -a).
	All bool
}

// root is a system tree: "/" or a fake one.
type root string

func (r root) path(p string) string { return filepath.Join(string(r), p) }

func (r root) read(p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func (r root) readInt(p string) int64 {
	n, _ := strconv.ParseInt(r.read(p), 10, 64)
	return n
}

// List returns the top-level block devices under rootDir ("" means /) with
// their partitions and holders as children, in lsblk's order (by name).
func List(rootDir string, opt Options) ([]*Device, error) {
	if rootDir == "" {
		rootDir = "/"
	}
	if opt.MinBytes == 0 {
		opt.MinBytes = DefaultMinBytes
	}
	r := root(rootDir)
	entries, err := os.ReadDir(r.path("sys/block"))
	if err != nil {
		return nil, fmt.Errorf("list block devices: %w", err)
	}
	mounts := readMountinfo(r.path("proc/self/mountinfo"))
	swaps := readSwaps(r.path("proc/swaps"))
	all := map[string]*Device{} // by kernel name
	var names []string
	for _, e := range entries {
		d := r.device(e.Name(), filepath.Join(r.path("sys/block"), e.Name()), "")
		if d == nil {
			continue
		}
		if !opt.All && skipped(r, d) {
			continue
		}
		all[d.KName] = d
		names = append(names, d.KName)
		for _, p := range r.partitions(d) {
			all[p.KName] = p
			d.Children = append(d.Children, p)
		}
	}
	for _, d := range all {
		r.describe(d, mounts, swaps)
	}
	// Holders become children of what they hold; devices with slaves are not top level.
	var top []*Device
	sort.Strings(names)
	for _, n := range names {
		d := all[n]
		if slaves, _ := os.ReadDir(filepath.Join(d.sysDir, "slaves")); len(slaves) > 0 {
			continue
		}
		top = append(top, d)
	}
	var link func(d *Device, depth int)
	link = func(d *Device, depth int) {
		if depth > 8 {
			return
		}
		for _, h := range d.Holders {
			if hd := all[h]; hd != nil {
				d.Children = append(d.Children, hd)
			}
		}
		for _, c := range d.Children {
			link(c, depth+1)
		}
	}
	for _, d := range top {
		link(d, 0)
		judge(d, opt.MinBytes)
	}
	return top, nil
}

// skipped is what lsblk hides without -a: RAM disks (major 1) and loop
// devices of size 0 without a backing file.
func skipped(r root, d *Device) bool {
	if strings.HasPrefix(d.MajMin, "1:") {
		return true
	}
	if d.Size == 0 && d.Type == "loop" {
		return r.read(filepath.Join(d.sysDir, "loop/backing_file")) == ""
	}
	return false
}

// device reads the basics of one device from its sysfs directory.
func (r root) device(kname, dir, parentType string) *Device {
	majmin := r.read(filepath.Join(dir, "dev"))
	if majmin == "" {
		return nil
	}
	d := &Device{KName: kname, Name: kname, MajMin: majmin, sysDir: dir, Path: "/dev/" + kname}
	d.Size = r.readInt(filepath.Join(dir, "size")) * 512
	d.ReadOnly = r.read(filepath.Join(dir, "ro")) == "1"
	if holders, err := os.ReadDir(filepath.Join(dir, "holders")); err == nil {
		for _, h := range holders {
			d.Holders = append(d.Holders, h.Name())
		}
	}
	if parentType != "" {
		d.Type = "part"
		return d
	}
	d.Removable = r.read(filepath.Join(dir, "removable")) == "1"
	d.Rotational = r.read(filepath.Join(dir, "queue/rotational")) == "1"
	d.LogSec = int(r.readInt(filepath.Join(dir, "queue/logical_block_size")))
	d.PhySec = int(r.readInt(filepath.Join(dir, "queue/physical_block_size")))
	d.Model = r.read(filepath.Join(dir, "device/model"))
	d.Serial = r.read(filepath.Join(dir, "device/serial"))
	if d.Serial == "" {
		d.Serial = r.read(filepath.Join(dir, "serial")) // virtio
	}
	if d.Serial == "" {
		d.Serial = vpdSerial(filepath.Join(dir, "device/vpd_pg80")) // SCSI and SATA
	}
	switch {
	case strings.HasPrefix(kname, "dm-"):
		d.Name = r.read(filepath.Join(dir, "dm/name"))
		if d.Name == "" {
			d.Name = kname
		}
		d.Path = "/dev/mapper/" + d.Name
		d.Type = "dm"
		if uuid := r.read(filepath.Join(dir, "dm/uuid")); uuid != "" {
			prefix, _, _ := strings.Cut(uuid, "-")
			if strings.HasPrefix(strings.ToLower(prefix), "part") {
				prefix = prefix[:4]
			}
			d.Type = strings.ToLower(prefix)
		}
	case strings.HasPrefix(kname, "loop"):
		d.Type = "loop"
	case strings.HasPrefix(kname, "md"):
		d.Type = "md"
		if l := r.read(filepath.Join(dir, "md/level")); l != "" {
			d.Type = strings.ToLower(l)
		}
	default:
		d.Type = "disk"
		switch r.read(filepath.Join(dir, "device/type")) {
		case "5":
			d.Type = "rom"
		case "1":
			d.Type = "tape"
		}
	}
	d.Transport = transport(dir, kname)
	return d
}

// vpdSerial reads the unit serial number from a SCSI VPD page 0x80: a
// 4-byte header (the length in byte 3), then the serial as ASCII.
func vpdSerial(path string) string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) < 4 || b[1] != 0x80 {
		return ""
	}
	n := int(b[3])
	if 4+n > len(b) {
		n = len(b) - 4
	}
	return strings.TrimSpace(strings.TrimRight(string(b[4:4+n]), "\x00"))
}

// transport tells the bus from where the device sits in the sysfs device tree.
func transport(dir, kname string) string {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		real = dir
	}
	switch {
	case strings.HasPrefix(kname, "nvme"):
		return "nvme"
	case strings.Contains(real, "/usb"):
		return "usb"
	case strings.Contains(real, "/virtio"):
		return "virtio"
	case strings.Contains(real, "/ata"):
		return "sata"
	case strings.Contains(real, "/host") && strings.Contains(real, "/target"):
		return "scsi"
	}
	return ""
}

// partitions are the subdirectories of a disk's sysfs directory that have a "partition" file.
func (r root) partitions(d *Device) []*Device {
	entries, err := os.ReadDir(d.sysDir)
	if err != nil {
		return nil
	}
	var parts []*Device
	for _, e := range entries {
		dir := filepath.Join(d.sysDir, e.Name())
		if _, err := os.Stat(filepath.Join(dir, "partition")); err != nil {
			continue
		}
		if p := r.device(e.Name(), dir, d.Type); p != nil {
			p.Removable, p.Rotational, p.LogSec, p.PhySec, p.Transport = d.Removable, d.Rotational, d.LogSec, d.PhySec, d.Transport
			parts = append(parts, p)
		}
	}
	sort.Slice(parts, func(i, j int) bool {
		return r.readInt(filepath.Join(parts[i].sysDir, "partition")) < r.readInt(filepath.Join(parts[j].sysDir, "partition"))
	})
	return parts
}

// describe fills what comes from outside sysfs: mounts, swap, filesystem.
func (r root) describe(d *Device, mounts map[string][]mount, swaps map[string]bool) {
	for _, m := range mounts[d.MajMin] {
		d.Mounts = append(d.Mounts, m.target)
	}
	d.Swap = swaps[d.Path] || swaps["/dev/"+d.KName]
	d.FSType, d.Label = probe(r.path(strings.TrimPrefix("/dev/"+d.KName, "/")))
}

// Find returns the device called name (vda, /dev/vda, /dev/mapper/x) anywhere in the tree.
func Find(devs []*Device, name string) *Device {
	for _, d := range devs {
		if d.Name == name || d.KName == name || d.Path == name || "/dev/"+d.KName == name {
			return d
		}
		if c := Find(d.Children, name); c != nil {
			return c
		}
	}
	return nil
}

// judge sets Live and Reasons on a top-level device and returns whether any
// device under it is in use.
func judge(d *Device, minBytes int64) {
	var reasons []string
	add := func(format string, a ...any) { reasons = append(reasons, fmt.Sprintf(format, a...)) }
	live := false
	var walk func(x *Device, depth int)
	walk = func(x *Device, depth int) {
		if depth > 8 {
			return
		}
		for _, m := range x.Mounts {
			if m == deployarchive.LiveMount {
				live = true
			}
		}
		if x.FSType == "iso9660" && strings.HasPrefix(strings.ToUpper(x.Label), "ALTCOS") {
			live = true
		}
		if len(x.Mounts) > 0 {
			if x == d {
				add("mounted at %s; unmount it or choose another disk", strings.Join(x.Mounts, ", "))
			} else {
				add("%s is mounted at %s; unmount it or choose another disk", x.Name, strings.Join(x.Mounts, ", "))
			}
		}
		if x.Swap {
			add("%s is in use as swap; run swapoff %s or choose another disk", x.Name, x.Path)
		}
		if x == d || x.Type == "part" {
			for _, c := range x.Children {
				if c.Type == "part" {
					continue
				}
				what := map[string]string{"lvm": "LVM volume", "crypt": "LUKS mapping", "mpath": "multipath device"}[c.Type]
				if strings.HasPrefix(c.Type, "raid") || c.Type == "md" || strings.HasPrefix(c.KName, "md") {
					what = "RAID array"
				}
				if what == "" {
					what = "device-mapper device"
				}
				add("held by %s %s; stop it (vgchange -an, mdadm --stop, dmsetup remove) or choose another disk", what, c.Name)
			}
		}
		for _, c := range x.Children {
			walk(c, depth+1)
		}
	}
	walk(d, 0)
	d.Live = live
	if live {
		reasons = append([]string{"the medium the live system booted from; choose another disk"}, reasons...)
	}
	if d.Type == "rom" {
		add("a CD/DVD drive; choose a disk")
	}
	if d.ReadOnly {
		add("read-only; check the disk's write-protect switch or choose another disk")
	}
	if d.Size == 0 {
		add("empty (no medium or size 0); choose another disk")
	} else if d.Size < minBytes {
		add("%s is smaller than the %s minimum; choose a larger disk", HumanSize(d.Size), HumanSize(minBytes))
	}
	d.Reasons = dedupe(reasons)
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// HumanSize prints bytes the way lsblk does (binary units, one decimal).
func HumanSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%dB", n)
	}
	f := float64(n)
	suffixes := "KMGTPE"
	i := -1
	for f >= unit && i < len(suffixes)-1 {
		f /= unit
		i++
	}
	s := strconv.FormatFloat(f, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	return s + string(suffixes[i])
}
