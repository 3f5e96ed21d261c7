package bootmenu

import "fmt"

// Firmware is the boot path a menu is for.
type Firmware string

const (
	BIOS Firmware = "bios" // El Torito no-emulation boot (and the USB stick's MBR)
	UEFI Firmware = "uefi" // EFI/BOOT/BOOTX64.EFI from the ESP image
)

// Paths of the live system on the ISO, shared by the menus and the ISO build.
const (
	KernelPath    = "/boot/vmlinuz"
	InitramfsPath = "/boot/initramfs.img"
)

// Kernel arguments read by the live init (initramfs/live).
const (
	// RescueArg boots to a shell without hints or unattended install.
	RescueArg = "altcos.live.rescue"
	// LabelArg names the ISO volume label of the medium to mount.
	LabelArg = "altcos.live.label"
)

// Consoles: the kernel and the live system write to all of them, and the live
// system keeps a shell on each; the last console= is /dev/console, where an
// unattended install's output goes and which an install from the live system
// makes the installed system's /dev/console too (its boot messages).
var (
	consolesGraphical = []string{"console=ttyS0,115200n8", "console=tty0"}
	consolesSerial    = []string{"console=tty0", "console=ttyS0,115200n8"}
)

// DefaultTimeout is how long the ISO menu waits before "Install ALTCOS".
const DefaultTimeout = 10

// ISOOptions describe the live ISO's menu.
type ISOOptions struct {
	Firmware Firmware
	// Label is the ISO volume label; GRUB finds the medium by it and the live
	// init mounts it by it.
	Label string
	// ExtraArgs are added to every Linux entry (e.g. `iso customize` args).
	ExtraArgs []string
	// Timeout overrides DefaultTimeout when not nil.
	Timeout *int
}

// ISO returns the live ISO's menu: "Install ALTCOS" (the default, after the
// timeout), the same with the serial console as the main console, a rescue
// shell, and "Boot from first hard disk".
func ISO(o ISOOptions) (Menu, error) {
	if o.Label == "" {
		return Menu{}, fmt.Errorf("ISO menu needs the volume label")
	}
	timeout := DefaultTimeout
	if o.Timeout != nil {
		timeout = *o.Timeout
	}
	live := func(title, id string, consoles []string, more ...string) Entry {
		args := append([]string{LabelArg + "=" + o.Label}, consoles...)
		args = append(args, more...)
		args = append(args, o.ExtraArgs...)
		return Entry{Title: title, ID: id, Linux: KernelPath, Initrd: []string{InitramfsPath}, Args: args}
	}
	disk := Entry{Title: "Boot from first hard disk", ID: "disk"}
	switch o.Firmware {
	case BIOS:
		// The CD is not a BIOS hard disk; (hd0) is the first one.
		disk.Root, disk.Chainload = "(hd0)", "+1"
	case UEFI:
		// The firmware goes on with its next boot option: the disk.
		disk.Exit = true
	default:
		return Menu{}, fmt.Errorf("unknown firmware %q; use %q or %q", o.Firmware, BIOS, UEFI)
	}
	return Menu{
		Comment: fmt.Sprintf("ALTCOS live ISO menu (%s). Written by altcos-build; `altcos-build iso customize` rewrites it.", o.Firmware),
		Timeout: timeout,
		Default: 0,
		Serial:  true,
		// GRUB's root becomes the ISO filesystem, on CD and on a USB stick alike.
		SearchLabel: o.Label,
		Entries: []Entry{
			live("Install ALTCOS", "install", consolesGraphical),
			live("Install ALTCOS (serial console)", "install-serial", consolesSerial),
			disk,
			live("Rescue shell", "rescue", consolesSerial, RescueArg),
		},
	}, nil
}

// RenderISO renders the ISO menu for o.
func RenderISO(o ISOOptions) (string, error) {
	m, err := ISO(o)
	if err != nil {
		return "", err
	}
	return Render(m)
}
