package bootloader

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
)

// Debian's Secure Boot chain in an OS tree: shim signed by Microsoft's
// third-party UEFI CA (shim-signed), its MokManager signed by Debian
// (shim-helpers-amd64-signed) and GRUB signed by Debian
// (grub-efi-amd64-signed). shim verifies GRUB against the Debian CA built
// into it; GRUB hands the kernel to shim's verifier before it boots it, and
// Debian's kernel (linux-image-*-amd64) is signed by the same CA.
const (
	TreeShim       = "usr/lib/shim/shimx64.efi.signed"
	TreeMokManager = "usr/lib/shim/mmx64.efi.signed"
	TreeSignedGRUB = "usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed"
)

// Where the chain sits on an ESP (the installed disk's, and the live ISO's
// El Torito/USB image). The firmware starts shim at the removable path
// (RemovablePath), shim starts grubx64.efi and, for a key enrolment that
// mokutil asked for, mmx64.efi from its own folder. fbx64.efi (fallback) is
// left out on purpose: shim would start it from EFI/BOOT, and it writes boot
// entries into NVRAM and resets the machine; the installer writes no NVRAM.
//
// The signed GRUB is a monolithic image: its modules are built in (it cannot
// load others under Secure Boot) and so is its prefix, /EFI/debian, on the
// device it was loaded from (the ESP partition; on a CD-ROM the whole disc,
// so the ISO carries the file in its ISO 9660 tree too). Its built-in
// config (a memdisk) sources $prefix/x86_64-efi/grub.cfg or
// $prefix/grub.cfg, and only when /EFI/debian is missing looks for a Debian
// medium (/.disk/info) on every disk, then $cmdpath/grub.cfg. So our config
// sits at SignedConfigPath: found first, and never a stray medium's.
const (
	ShimGRUBPath       = "/EFI/BOOT/grubx64.efi"
	ShimMokManagerPath = "/EFI/BOOT/mmx64.efi"
	SignedConfigPath   = "/EFI/debian/grub.cfg"
)

// ErrNoSignedChain is the error of FindSignedChain for a tree without the
// signed files (an rpm-based tree, or one without the packages).
var ErrNoSignedChain = errors.New("no Secure Boot chain in the OS tree")

// SignedChain holds the three signed images of a tree.
type SignedChain struct {
	Shim, MokManager, GRUB []byte
}

// FindSignedChain reads the signed images from the OS tree at tree. A tree
// that lacks any of them gives an error wrapping ErrNoSignedChain that
// names the file; the callers then fall back to an unsigned GRUB.
func FindSignedChain(tree string) (*SignedChain, error) {
	var c SignedChain
	for _, f := range []struct {
		path string
		dst  *[]byte
	}{{TreeShim, &c.Shim}, {TreeMokManager, &c.MokManager}, {TreeSignedGRUB, &c.GRUB}} {
		b, err := os.ReadFile(filepath.Join(tree, f.path))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: no /%s (Debian's shim-signed, shim-helpers-amd64-signed, grub-efi-amd64-signed)", ErrNoSignedChain, f.path)
		}
		if err != nil {
			return nil, fmt.Errorf("the OS tree's Secure Boot chain: %w", err)
		}
		*f.dst = b
	}
	return &c, nil
}

// ESPFiles are the chain's files on an ESP (FAT path -> content), with cfg
// the signed GRUB's config.
func (c *SignedChain) ESPFiles(cfg string) map[string][]byte {
	return map[string][]byte{
		RemovablePath:      c.Shim,
		ShimGRUBPath:       c.GRUB,
		ShimMokManagerPath: c.MokManager,
		SignedConfigPath:   []byte(cfg),
	}
}

// SignedESPFiles returns the ESP files (FAT path -> content) of the Secure
// Boot chain of the OS tree at tree, with cfg as the signed GRUB's config.
// For a tree without the chain it logs a warning and returns nil: the
// caller lays down an unsigned GRUB (grub-mkimage), which boots only with
// Secure Boot off.
func SignedESPFiles(log *slog.Logger, tree, cfg string) (map[string][]byte, error) {
	c, err := FindSignedChain(tree)
	if errors.Is(err, ErrNoSignedChain) {
		log.Warn("UEFI boots an unsigned GRUB, which a machine with Secure Boot on refuses", "reason", err)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return c.ESPFiles(cfg), nil
}

// SignedConfig is the installed disk's /EFI/debian/grub.cfg: what the
// unsigned image has built in (embeddedConfig), then the boot partition's
// static menu, which the unsigned image's normal mode reads by itself.
func SignedConfig(bootUUID string) string {
	return "# ALTCOS: read by Debian's signed GRUB (started by shim), whose built-in prefix is /EFI/debian.\n" +
		embeddedConfig(bootUUID) + "source $prefix/grub.cfg\n"
}
