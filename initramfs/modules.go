package initramfs

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// RequiredModules are the kernel modules the live system cannot work without:
// virtio disks and the CD, the ISO, the filesystems the installer writes, and
// the code pages vfat mounts with. Each must be built into the kernel or be
// a module listed in modules.dep.
var RequiredModules = []string{
	"virtio_pci", "virtio_blk", "virtio_scsi", "sd_mod", "sr_mod", "cdrom",
	"isofs", "squashfs", "loop", "ext4", "vfat", "nls_cp437", "nls_iso8859_1",
}

// OptionalModules are carried when the kernel has them (a cloud kernel has no
// AHCI, NVMe may be built in, USB may be missing): real hardware (SATA, NVMe,
// common RAID/HBA controllers), USB sticks and keyboards, and the common
// server NICs for https and scp sources. The live init loads those whose
// hardware is present (modalias), so carrying one costs only its bytes.
var OptionalModules = []string{
	"nvme", "ahci", "ata_piix", "ata_generic", "megaraid_sas", "mpt3sas", "hpsa", "smartpqi",
	"usb_storage", "uas", "xhci_pci", "ehci_pci", "ohci_pci", "uhci_hcd", "usbhid", "hid_generic",
	"sd_mod", "virtio_net", "e1000", "e1000e", "igb", "ixgbe", "i40e", "ice", "bnxt_en", "tg3", "r8169",
	"virtio_rng", "nls_utf8",
}

// LateModules are loaded after the hints are shown: nothing before them
// needs the network or the filesystems the installer writes, and under
// emulation every module costs boot time. Everything else (disks, the CD,
// the ISO filesystem) is loaded first, so the medium can be found.
var LateModules = []string{
	"virtio_net", "e1000", "e1000e", "igb", "ixgbe", "i40e", "ice", "bnxt_en", "tg3", "r8169", "virtio_rng",
	"vfat", "nls_cp437", "nls_iso8859_1", "nls_utf8", "squashfs", "loop",
}

// ModuleSet is what the initramfs carries for one kernel.
type ModuleSet struct {
	// Load are the module names the live init probes, in order.
	Load []string
	// Files are module files relative to the module directory (the wanted
	// modules and all their dependencies), sorted.
	Files []string
	// Dep is modules.dep restricted to Files, for the live init's prober.
	Dep string
	// Builtin lists the wanted names the kernel has built in.
	Builtin []string
	// Alias is modules.alias restricted to the carried modules: the live
	// init loads a driver when a device's modalias matches one of its aliases.
	Alias string
}

// modName is a module's name from its file: "kernel/fs/fat/vfat.ko.xz" -> "vfat";
// '-' and '_' are the same to the kernel.
func modName(file string) string {
	b := path.Base(file)
	if i := strings.Index(b, ".ko"); i >= 0 {
		b = b[:i]
	}
	return strings.ReplaceAll(b, "-", "_")
}

// ResolveModules reads modules.dep and modules.builtin of dir (a
// lib/modules/<kver> directory) and returns the modules to carry for
// required and optional names with all their dependencies. A required module
// that is neither built in nor listed is an error naming it.
func ResolveModules(dir string, required, optional []string) (*ModuleSet, error) {
	depFile, err := os.Open(filepath.Join(dir, "modules.dep"))
	if err != nil {
		return nil, fmt.Errorf("kernel modules: %w (the OS tree must carry modules.dep; run depmod when composing it)", err)
	}
	defer depFile.Close()
	deps, order, err := parseModulesDep(depFile)
	if err != nil {
		return nil, fmt.Errorf("parse %s/modules.dep: %w", dir, err)
	}
	builtin := map[string]bool{}
	if f, err := os.Open(filepath.Join(dir, "modules.builtin")); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if l := strings.TrimSpace(sc.Text()); l != "" {
				builtin[modName(l)] = true
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("read %s/modules.builtin: %w", dir, err)
		}
	}
	byName := map[string]string{}
	for _, file := range order {
		byName[modName(file)] = file
	}

	set := &ModuleSet{}
	files := map[string]bool{}
	var add func(file string)
	add = func(file string) {
		if files[file] {
			return
		}
		files[file] = true
		for _, d := range deps[file] {
			add(d)
		}
	}
	pre := softdepsPre(dir)
	seen := map[string]bool{}
	var missing []string
	var want func(names []string, must bool)
	want = func(names []string, must bool) {
		for _, n := range names {
			n = strings.ReplaceAll(n, "-", "_")
			if seen[n] {
				continue
			}
			seen[n] = true
			// modules.softdep's "pre:" modules load first: ext4 needs
			// crc32c, which no modules.dep line names (a generic kernel
			// has both as modules; "Cannot load crc32c driver" otherwise).
			if _, ok := byName[n]; ok {
				want(pre[n], false)
			}
			switch file, ok := byName[n]; {
			case builtin[n]:
				set.Builtin = append(set.Builtin, n)
			case ok:
				add(file)
				set.Load = append(set.Load, n)
			case must:
				missing = append(missing, n)
			}
		}
	}
	want(required, true)
	want(optional, false)
	if len(missing) > 0 {
		return nil, fmt.Errorf("kernel modules %s are neither built into the kernel nor in %s/modules.dep; the live system needs them: use a kernel that has them", strings.Join(missing, ", "), dir)
	}
	for f := range files {
		set.Files = append(set.Files, f)
	}
	sort.Strings(set.Files)
	var b strings.Builder
	for _, f := range order {
		if files[f] {
			d := make([]string, len(deps[f]))
			for i, x := range deps[f] {
				d[i] = ArchivePath(x)
			}
			fmt.Fprintf(&b, "%s: %s\n", ArchivePath(f), strings.Join(d, " "))
		}
	}
	set.Dep = strings.ReplaceAll(b.String(), ": \n", ":\n")

	// modules.alias is optional: without it the live init loads every module.
	if data, err := os.ReadFile(filepath.Join(dir, "modules.alias")); err == nil {
		carried := map[string]bool{}
		for f := range files {
			carried[modName(f)] = true
		}
		var ab strings.Builder
		for _, line := range strings.Split(string(data), "\n") {
			fields := strings.Fields(line)
			if len(fields) == 3 && fields[0] == "alias" && carried[strings.ReplaceAll(fields[2], "-", "_")] {
				ab.WriteString(line + "\n")
			}
		}
		set.Alias = ab.String()
	}
	return set, nil
}

// softdepsPre reads the "pre:" soft dependencies of modules.softdep in dir,
// by module name, with aliases (crypto-crc32c) resolved to the module names
// of modules.alias's exact entries. A missing file means none.
func softdepsPre(dir string) map[string][]string {
	data, err := os.ReadFile(filepath.Join(dir, "modules.softdep"))
	if err != nil {
		return nil
	}
	aliases := map[string][]string{}
	if a, err := os.ReadFile(filepath.Join(dir, "modules.alias")); err == nil {
		for _, line := range strings.Split(string(a), "\n") {
			f := strings.Fields(line)
			if len(f) == 3 && f[0] == "alias" && !strings.ContainsAny(f[1], "*?[") {
				aliases[f[1]] = append(aliases[f[1]], f[2])
			}
		}
	}
	pre := map[string][]string{}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != "softdep" {
			continue
		}
		mod := strings.ReplaceAll(f[1], "-", "_")
		for _, d := range f[2:] {
			if d == "post:" {
				break
			}
			if d == "pre:" {
				continue
			}
			if names, ok := aliases[d]; ok {
				pre[mod] = append(pre[mod], names...)
			} else {
				pre[mod] = append(pre[mod], d)
			}
		}
	}
	return pre
}

// ArchivePath is where the initramfs carries module file f: its base name
// with '_' for '-'. u-root's prober finds "nls_iso8859_1" only in a file
// named so (the kernel takes the name from inside the module, not the file).
func ArchivePath(f string) string {
	dir, base := path.Split(f)
	return dir + strings.ReplaceAll(base, "-", "_")
}

// parseModulesDep parses depmod's "file: dep dep" lines, keeping file order.
func parseModulesDep(r io.Reader) (map[string][]string, []string, error) {
	deps := map[string][]string{}
	var order []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		file, rest, ok := strings.Cut(line, ":")
		if !ok || file == "" {
			return nil, nil, fmt.Errorf("line %d: want \"module: deps\", got %q", n, line)
		}
		order = append(order, file)
		deps[file] = strings.Fields(rest)
	}
	return deps, order, sc.Err()
}
