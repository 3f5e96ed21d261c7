// Package bootloader installs GRUB from the deployed OS tree for BIOS
// (i386-pc: boot code in the MBR, core image in BIOS-BOOT) and UEFI (the
// removable path EFI/BOOT/BOOTX64.EFI on the ESP, no NVRAM writes), and
// writes the boot partition's static /grub/grub.cfg.
//
// UEFI boots the tree's Secure Boot chain when it has one (shim.go: shim,
// then Debian's signed GRUB, which reads EFI/debian/grub.cfg and from there
// the same static menu), so the installed system boots with Secure Boot on
// and off; a tree without the chain gets a GRUB made with grub-mkimage
// (x86_64-efi), which boots with Secure Boot off only.
//
// grub-install cannot map loop devices (DESIGN.md, "Proven on this
// machine"), so the images are made with grub-mkimage from the tree's own
// modules and laid down here: the MBR and core image patching are pure
// functions over io.WriterAt, the same on files, loop devices and disks.
//
// The menu: GRUB 2.06 (Debian bookworm) has no blscfg, so the entries come
// from ostree's grub2 integration. The sysroot's repo config says
// sysroot.bootloader=grub2; on every deploy ostree writes
// /boot/loader.N/grub.cfg, swapped in atomically with /boot/loader, from its
// own generator (`ostree admin instutil grub2-generate`, run by the OS's
// grub-mkconfig through /etc/grub.d/15_ostree on the installed system, and by
// ostree.GRUB2Generator at build time and on a mounted disk). The static
// /grub/grub.cfg written here sets the console, the first-boot variable and
// load_video, then sources /loader/grub.cfg: the newest deployment is the
// first entry and the default.
package bootloader

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Offsets in GRUB's i386-pc boot.img and diskboot.img (grub-core/boot/i386/pc).
const (
	// MBRCodeSize is the MBR boot code area GRUB fills: after it come the disk
	// signature (440) and the partition table (446).
	MBRCodeSize = 440
	// kernelSectorOff holds the LBA (u64) of the core image's first sector.
	kernelSectorOff = 0x5c
	// driveCheckOff is the "use the BIOS drive number only if it is a hard
	// disk" jump; grub-bios-setup replaces it with two NOPs unless it is
	// told --allow-floppy, and so do we.
	driveCheckOff = 0x66
	// blocklistOff is the first (last-in-sector) blocklist of diskboot.img:
	// u64 start sector, u16 sector count, u16 load segment.
	blocklistOff = 512 - 12
	// coreSegment is where diskboot loads the rest of the core image.
	coreSegment = 0x820
	biosSector  = 512
)

// MBRCode returns the 440 bytes of MBR boot code: GRUB's boot.img with the
// LBA (in 512-byte sectors) of the core image's first sector patched in.
func MBRCode(bootImg []byte, coreSector uint64) ([]byte, error) {
	if len(bootImg) != biosSector {
		return nil, fmt.Errorf("boot.img is %d bytes, want %d", len(bootImg), biosSector)
	}
	if bootImg[510] != 0x55 || bootImg[511] != 0xaa {
		return nil, errors.New("boot.img has no 55 AA boot signature; is it GRUB's i386-pc boot.img?")
	}
	code := append([]byte(nil), bootImg[:MBRCodeSize]...)
	binary.LittleEndian.PutUint64(code[kernelSectorOff:], coreSector)
	code[driveCheckOff], code[driveCheckOff+1] = 0x90, 0x90
	return code, nil
}

// patchCore returns a copy of core.img (diskboot.img followed by the rest)
// whose first sector's blocklist loads the remaining sectors from
// coreSector+1 on: the core image is written contiguously at coreSector.
func patchCore(core []byte, coreSector uint64) ([]byte, error) {
	if len(core) < 2*biosSector {
		return nil, fmt.Errorf("core image is %d bytes, too small to be GRUB's i386-pc core.img", len(core))
	}
	sectors := (len(core) + biosSector - 1) / biosSector
	if sectors-1 > 0xffff {
		return nil, fmt.Errorf("core image of %d sectors does not fit one blocklist", sectors)
	}
	out := make([]byte, sectors*biosSector)
	copy(out, core)
	bl := out[blocklistOff:biosSector]
	binary.LittleEndian.PutUint64(bl[0:8], coreSector+1)
	binary.LittleEndian.PutUint16(bl[8:10], uint16(sectors-1))
	binary.LittleEndian.PutUint16(bl[10:12], coreSegment)
	return out, nil
}

// WriteBIOS lays GRUB for BIOS onto a disk: the core image into the
// BIOS-BOOT partition (start and size in bytes) and the boot code into the
// MBR, keeping the disk signature and the protective MBR's partition table.
// The core image goes first: a disk whose MBR points at it is bootable.
func WriteBIOS(w io.WriterAt, bootImg, core []byte, partStart, partSize int64) error {
	if partStart%biosSector != 0 {
		return fmt.Errorf("BIOS-BOOT at byte %d is not on a 512-byte boundary", partStart)
	}
	sector := uint64(partStart / biosSector)
	patched, err := patchCore(core, sector)
	if err != nil {
		return err
	}
	if int64(len(patched)) > partSize {
		return fmt.Errorf("core image of %d bytes does not fit BIOS-BOOT (%d bytes)", len(patched), partSize)
	}
	code, err := MBRCode(bootImg, sector)
	if err != nil {
		return err
	}
	if _, err := w.WriteAt(patched, partStart); err != nil {
		return fmt.Errorf("write core image into BIOS-BOOT: %w", err)
	}
	if _, err := w.WriteAt(code, 0); err != nil {
		return fmt.Errorf("write boot code into the MBR: %w", err)
	}
	return nil
}
