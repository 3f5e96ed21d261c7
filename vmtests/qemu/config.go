package qemu

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Firmware is what the machine boots with.
type Firmware string

// Firmwares.
const (
	BIOS Firmware = "bios" // SeaBIOS, QEMU's default
	UEFI Firmware = "uefi" // OVMF, Secure Boot off
	// UEFISecureBoot is OVMF built for Secure Boot (it needs SMM, so the
	// machine gets it) with a variable store that has Secure Boot on and
	// Microsoft's keys enrolled, as a stock server ships: only a
	// Microsoft-signed loader (shim) boots.
	UEFISecureBoot Firmware = "uefi-secureboot"
)

// IsUEFI says whether f is OVMF, with or without Secure Boot.
func (f Firmware) IsUEFI() bool { return f == UEFI || f == UEFISecureBoot }

// Drive is a disk or CD-ROM of a machine.
type Drive struct {
	Path   string
	Format string // raw (default) or qcow2
	CDROM  bool   // a CD-ROM (where live ISOs are found); otherwise a disk
	// Bus is where the drive sits, as on real machines: for a disk virtio
	// (default), ahci (a SATA disk on q35's AHCI controller), usb (a USB
	// stick: usb-storage on a qemu-xhci controller) or nvme; for a CD-ROM
	// virtio-scsi (default) or ahci (a SATA CD-ROM).
	Bus      string
	ReadOnly bool
	Serial   string
	// BootIndex orders the firmware's boot devices (lower first); 0 leaves it unset.
	BootIndex int
}

// Config describes one machine.
type Config struct {
	Name      string // names the console log: OutDir/<Name>.console.log
	OutDir    string
	QEMU      string // default qemu-system-x86_64 (run.Path: ALTCOS_TOOL_QEMU_SYSTEM_X86_64)
	Accel     string // tcg (default) or kvm
	MemoryMiB int    // default 2048
	// CPUs is the number of virtual CPUs, default 1. Under TCG more than
	// one runs multi-threaded (-accel tcg,thread=multi): each vCPU a host
	// thread, so a guest on an otherwise idle two-core machine gets both.
	CPUs     int
	Firmware Firmware
	// OVMFCode and OVMFVars are the UEFI firmware and its variable store
	// template; the template is copied to OutDir/<Name>.OVMF_VARS.fd once, so
	// later boots of the same Name see the variables the earlier ones wrote.
	OVMFCode, OVMFVars string
	Drives             []Drive
	Kernel             string
	Initrd             string
	Append             string
	// FwCfg maps fw_cfg names (opt/com.coreos/config) to host files.
	FwCfg map[string]string
	// Net adds a virtio NIC on QEMU user networking: the host is 10.0.2.2.
	Net bool
	// NoReboot makes a guest reboot end QEMU, so a test sees an installer's
	// reboot as the machine's exit and starts the next boot itself.
	NoReboot bool
	// Timeout is a hard limit on the machine's life: QEMU is killed after it.
	Timeout time.Duration
	// Echo, when set, receives the console output live (progress for humans).
	Echo io.Writer
	// Closed, when set, is called once when the machine is closed, after
	// QEMU exited (the phase times: Machine.Phases).
	Closed func(*Machine)
	Extra  []string
}

// OVMF returns the first installed OVMF code and variables pair (Debian's
// ovmf package) for fw, or empty strings. Secure Boot needs the 4 MiB
// build: Debian calls the 2 MiB one too small for it.
func OVMF(fw Firmware) (code, vars string) {
	pairs := [][2]string{
		{"/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd"},
		{"/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd"},
	}
	if fw == UEFISecureBoot {
		pairs = [][2]string{{"/usr/share/OVMF/OVMF_CODE_4M.secboot.fd", "/usr/share/OVMF/OVMF_VARS_4M.ms.fd"}}
	}
	for _, p := range pairs {
		if fileExists(p[0]) && fileExists(p[1]) {
			return p[0], p[1]
		}
	}
	return "", ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// VarsPath is where a UEFI machine's writable variable store lives.
func (c Config) VarsPath() string {
	return filepath.Join(c.OutDir, c.Name+".OVMF_VARS.fd")
}

// LogPath is where the machine's console log is kept.
func (c Config) LogPath() string {
	return filepath.Join(c.OutDir, c.Name+".console.log")
}

// Args returns QEMU's argument list (without the program) for c.
func (c Config) Args() ([]string, error) {
	if c.Name == "" {
		return nil, errors.New("machine config: empty name")
	}
	accel := c.Accel
	if accel == "" {
		accel = "tcg"
	}
	mem := c.MemoryMiB
	if mem == 0 {
		mem = 2048
	}
	cpus := c.CPUs
	if cpus == 0 {
		cpus = 1
	}
	if accel == "tcg" && cpus > 1 {
		accel = "tcg,thread=multi"
	}
	machine := "q35"
	if c.Firmware == UEFISecureBoot {
		machine += ",smm=on"
	}
	a := []string{
		"-name", c.Name,
		"-machine", machine, "-accel", accel,
		"-m", strconv.Itoa(mem), "-smp", strconv.Itoa(cpus),
		// No default devices, no display: the serial console on stdio is the
		// only way in or out, as on a headless server.
		"-nodefaults", "-display", "none", "-serial", "stdio",
		"-device", "virtio-rng-pci",
	}
	if c.NoReboot {
		a = append(a, "-no-reboot")
	}
	switch c.Firmware {
	case BIOS, "":
	case UEFI, UEFISecureBoot:
		if c.OVMFCode == "" || c.OVMFVars == "" {
			return nil, errors.New("machine config: UEFI needs OVMF code and variables (install Debian's ovmf)")
		}
		if c.Firmware == UEFISecureBoot {
			// Only SMM code may write the flash: the guest OS cannot
			// change the Secure Boot variables behind the firmware's back.
			a = append(a, "-global", "driver=cfi.pflash01,property=secure,value=on")
		}
		a = append(a,
			"-drive", "if=pflash,format=raw,unit=0,readonly=on,file="+c.OVMFCode,
			"-drive", "if=pflash,format=raw,unit=1,file="+c.VarsPath())
	default:
		return nil, fmt.Errorf("machine config: unknown firmware %q (%s, %s or %s)", c.Firmware, BIOS, UEFI, UEFISecureBoot)
	}
	xhci, sata := false, 0
	for i, d := range c.Drives {
		if d.Bus == "usb" && !xhci {
			a = append(a, "-device", "qemu-xhci,id=xhci")
			xhci = true
		}
		if d.Path == "" {
			return nil, fmt.Errorf("machine config: drive %d has no path", i)
		}
		if strings.Contains(d.Path, ",") {
			return nil, fmt.Errorf("machine config: drive path %q contains a comma, which QEMU cannot take", d.Path)
		}
		format := d.Format
		if format == "" {
			format = "raw"
		}
		id := fmt.Sprintf("drive%d", i)
		drive := fmt.Sprintf("file=%s,format=%s,if=none,id=%s", d.Path, format, id)
		dev, err := d.device(i, id, &a)
		if err != nil {
			return nil, err
		}
		if d.Bus == "ahci" {
			// q35's AHCI controller has six ports, one drive each.
			if sata == 6 {
				return nil, errors.New("machine config: more than 6 drives on q35's AHCI controller")
			}
			dev += fmt.Sprintf(",bus=ide.%d", sata)
			sata++
		}
		if d.CDROM {
			drive += ",media=cdrom,readonly=on"
		} else {
			// cache=unsafe: the host's page cache keeps what the guest wrote
			// even when QEMU is killed (the power-cut test), and ignoring the
			// guest's flushes saves minutes of TCG time.
			drive += ",cache=unsafe"
			if d.ReadOnly {
				drive += ",readonly=on"
			}
		}
		if d.BootIndex > 0 {
			dev += ",bootindex=" + strconv.Itoa(d.BootIndex)
		}
		a = append(a, "-drive", drive, "-device", dev)
	}
	if c.Net {
		a = append(a, "-netdev", "user,id=net0", "-device", "virtio-net-pci,netdev=net0")
	}
	if c.Kernel != "" {
		a = append(a, "-kernel", c.Kernel)
		if c.Initrd != "" {
			a = append(a, "-initrd", c.Initrd)
		}
		if c.Append != "" {
			a = append(a, "-append", c.Append)
		}
	} else if c.Initrd != "" || c.Append != "" {
		return nil, errors.New("machine config: an initrd or kernel arguments need a kernel")
	}
	names := make([]string, 0, len(c.FwCfg))
	for n := range c.FwCfg {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		a = append(a, "-fw_cfg", "name="+n+",file="+c.FwCfg[n])
	}
	return append(a, c.Extra...), nil
}

// device returns the -device value of drive i (block backend id), adding
// the controller it needs to a.
func (d Drive) device(i int, id string, a *[]string) (string, error) {
	var dev string
	switch {
	case d.CDROM && (d.Bus == "" || d.Bus == "virtio-scsi"):
		scsi := fmt.Sprintf("scsi%d", i)
		*a = append(*a, "-device", "virtio-scsi-pci,id="+scsi)
		dev = "scsi-cd,bus=" + scsi + ".0,drive=" + id
	case d.CDROM && d.Bus == "ahci":
		dev = "ide-cd,drive=" + id
	case d.CDROM:
		return "", fmt.Errorf("machine config: CD-ROM bus %q: want virtio-scsi or ahci", d.Bus)
	case d.Bus == "" || d.Bus == "virtio":
		dev = "virtio-blk-pci,drive=" + id
	case d.Bus == "ahci":
		dev = "ide-hd,drive=" + id
	case d.Bus == "usb":
		dev = "usb-storage,bus=xhci.0,drive=" + id + ",removable=on"
	case d.Bus == "nvme":
		// An NVMe controller needs a serial number.
		dev = "nvme,drive=" + id
		if d.Serial == "" {
			dev += fmt.Sprintf(",serial=nvme%d", i)
		}
	default:
		return "", fmt.Errorf("machine config: disk bus %q: want virtio, ahci, usb or nvme", d.Bus)
	}
	if d.Serial != "" && !d.CDROM {
		dev += ",serial=" + d.Serial
	}
	return dev, nil
}
