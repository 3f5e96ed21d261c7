package bootloader

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// Options are the inputs of Install.
type Options struct {
	Tree     string // the deployed OS tree: GRUB from usr/lib/grub, shim from usr/lib/shim
	BootDir  string // where the boot filesystem is mounted
	BootUUID string // its filesystem UUID, which the images search for
	// Disk is the whole disk; BIOS-BOOT is at BIOSBootStart, BIOSBootSize bytes.
	Disk          io.WriterAt
	BIOSBootStart int64
	BIOSBootSize  int64
	// ESP is the EFI system partition's device, with a FAT filesystem made
	// by mkfs.vfat.
	ESP     string
	Menu    MenuOptions
	WorkDir string // scratch for grub-mkimage
	Log     *slog.Logger
}

// Install lays down GRUB for BIOS and UEFI from the OS tree and writes the
// static menu. UEFI boots the tree's Secure Boot chain (shim, signed GRUB)
// when it has one, and otherwise a GRUB made from its modules, which boots
// only with Secure Boot off.
func Install(ctx context.Context, o Options) error {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	grubLib := filepath.Join(o.Tree, "usr", "lib", "grub")
	// 1. BIOS: core image into BIOS-BOOT, boot code into the MBR, modules on /boot.
	core, err := MkImage(ctx, o.Log, grubLib, BIOS, o.BootUUID, o.WorkDir)
	if err != nil {
		return err
	}
	bootImg, err := os.ReadFile(filepath.Join(grubLib, BIOS.Name, "boot.img"))
	if err != nil {
		return fmt.Errorf("GRUB boot.img of the OS tree: %w", err)
	}
	if err := copyModules(grubLib, BIOS, o.BootDir); err != nil {
		return err
	}
	if err := WriteBIOS(o.Disk, bootImg, core, o.BIOSBootStart, o.BIOSBootSize); err != nil {
		return err
	}
	// 2. UEFI: the ESP's files, modules on /boot (an unsigned GRUB loads
	// them; the signed one has what the menus use built in).
	esp, err := SignedESPFiles(o.Log, o.Tree, SignedConfig(o.BootUUID))
	if err != nil {
		return err
	}
	if esp == nil {
		efi, err := MkImage(ctx, o.Log, grubLib, UEFI, o.BootUUID, o.WorkDir)
		if err != nil {
			return err
		}
		esp = map[string][]byte{RemovablePath: efi}
	}
	if err := copyModules(grubLib, UEFI, o.BootDir); err != nil {
		return err
	}
	if err := WriteESP(ctx, o.Log, o.ESP, o.WorkDir, esp); err != nil {
		return err
	}
	// 3. The menu.
	cfg := filepath.Join(o.BootDir, strings.TrimPrefix(Prefix, "/"), "grub.cfg")
	if err := os.WriteFile(cfg, []byte(Menu(o.Menu)), 0o644); err != nil {
		return fmt.Errorf("write GRUB menu: %w", err)
	}
	return nil
}
