// Package iso builds the live ISO of a commit (Build), makes an unattended
// copy of one (Customize, like `coreos-installer iso customize`), changes
// one part of one (EmbedIgnition, RemoveIgnition, ModifyKargs, ResetKargs),
// drops every change (Reset) and reads one back (Inspect). Every change is
// one xorriso run (rewrite) that replays the boot equipment. The live initramfs it boots is image.BuildLiveInitramfs's.
//
// Which tool does what, and why:
//
//   - grub-mkimage (the OS tree's own GRUB modules, -d TREE/usr/lib/grub/...)
//     makes the BIOS El Torito loader (i386-pc-eltorito), so the ISO boots
//     with the GRUB the OS ships.
//   - UEFI boots the tree's Secure Boot chain (installer/bootloader's
//     SignedESPFiles: shim at EFI/BOOT/BOOTX64.EFI, Debian's signed GRUB
//     beside it as grubx64.efi, MokManager), whose GRUB reads
//     /EFI/debian/grub.cfg and from there the same UEFI menu as below; so
//     the ISO boots with Secure Boot on and off. A tree without the chain
//     (a warning) gets an x86_64-efi GRUB made by grub-mkimage instead.
//   - go-diskfs writes the EFI system partition image (efiboot.img, FAT16:
//     FAT32 below ~33 MiB is out of spec) holding those files. No
//     mkfs.vfat or mtools, no mount (this machine's kernel has no vfat), and
//     reproducible timestamps under SOURCE_DATE_EPOCH.
//   - xorriso writes the ISO 9660 filesystem, the El Torito catalog (BIOS
//     image + UEFI image), GRUB's hybrid MBR (boot_hybrid.img, so a USB stick
//     written with dd boots in BIOS) and an MBR partition table whose second
//     partition (type 0xEF) is the ESP image (so UEFI boots the stick).
//     go-diskfs can write ISO 9660 with El Torito but has no hybrid MBR/GPT
//     support; xorriso is the well-kept tool for exactly that, and it is
//     what grub-mkrescue and the distributions' live ISOs use.
//
// Layout of the ISO:
//
//	/boot/vmlinuz, /boot/initramfs.img     kernel of the commit, live initramfs
//	/boot/grub/grub.cfg, i386-pc/          BIOS menu and GRUB modules
//	/boot/grub/efi/grub.cfg, x86_64-efi/   UEFI menu and GRUB modules
//	/EFI/debian/grub.cfg                   the signed GRUB's config when booted from a CD-ROM
//	/altcos/deploy.tar.zst, deploy.json    the deploy archive and its manifest
//	/altcos/iso.json                       how this ISO was built (label, live kargs)
//	/altcos/customize.json, config.ign,    a customization (live.Customization), when customized
//	  hooks/, installer.d/
//	appended partition 2 (EFI)             efiboot.img: EFI/BOOT/{BOOTX64.EFI,grubx64.efi,mmx64.efi},
//	                                       EFI/debian/grub.cfg (the same file, for a USB stick)
package iso

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/altcos/altcos-tools/bootmenu"
	"github.com/altcos/altcos-tools/compose"
	"github.com/altcos/altcos-tools/deployarchive"
	"github.com/altcos/altcos-tools/image"
	"github.com/altcos/altcos-tools/installer/bootloader"
	"github.com/altcos/altcos-tools/internal/fsutil"
	"github.com/altcos/altcos-tools/internal/run"
)

// ISO paths besides bootmenu.KernelPath and InitramfsPath.
const (
	isoBIOSImage   = "boot/grub/i386-pc/eltorito.img"
	isoBootCatalog = "boot/grub/boot.cat"
	isoBIOSMenu    = "boot/grub/grub.cfg"
	isoEFIPrefix   = "/boot/grub/efi"
	isoEFIMenu     = "boot/grub/efi/grub.cfg"
	// InfoName is the build record in the medium's altcos/ folder.
	InfoName = "iso.json"
)

// GRUB modules built into the boot images, so the menu needs no insmod.
var (
	isoBIOSModules = []string{"biosdisk", "iso9660", "part_msdos", "part_gpt", "normal", "configfile", "linux",
		"search", "search_label", "search_fs_file", "serial", "terminal", "echo", "test", "chain", "ls", "cat", "halt", "reboot"}
	isoEFIModules = []string{"part_gpt", "part_msdos", "fat", "iso9660", "normal", "configfile", "linux",
		"search", "search_label", "search_fs_file", "serial", "terminal", "efi_gop", "echo", "test", "chain", "ls", "cat", "halt", "reboot"}
)

// Options are the inputs of one live ISO.
type Options struct {
	Output string
	// Tree is the OS tree of the commit (see image.CheckoutTree): the kernel from
	// usr/lib/modules/<kver>/vmlinuz, GRUB from usr/lib/grub/{i386-pc,x86_64-efi}.
	Tree string
	// Initramfs is the live initramfs (image.BuildLiveInitramfs).
	Initramfs string
	// ArchiveDir holds deploy.tar.zst and deploy.json (altcos-build sysroot).
	ArchiveDir string
	// Label is the volume label; "" derives it from the manifest (Label).
	Label string
	// LiveArgs are extra kernel arguments of every live menu entry.
	LiveArgs []string
	// Epoch fixes every timestamp (SOURCE_DATE_EPOCH); zero means now.
	// go-diskfs reads SOURCE_DATE_EPOCH from the environment for the FAT
	// entries it stamps itself (volume label, dot entries), so a
	// reproducible build sets that variable too (altcos-build does: it takes
	// Epoch from it).
	Epoch   time.Time
	TempDir string
	Log     *slog.Logger
}

// Build writes the live ISO to o.Output: through a temporary file in the
// same folder, renamed at the end, so a failure (or a full disk) leaves no
// partial ISO behind.
func Build(ctx context.Context, o Options) error {
	log := cmp.Or(o.Log, slog.New(slog.DiscardHandler))
	// 1. Inputs: manifest, kernel, initramfs, GRUB platforms.
	m, err := image.ReadArchiveManifest(o.ArchiveDir)
	if err != nil {
		return err
	}
	kver, err := compose.FindKernel(o.Tree)
	if err != nil {
		return fmt.Errorf("OS tree %s: %w", o.Tree, err)
	}
	kernel := compose.KernelPath(o.Tree, kver)
	if _, err := os.Stat(o.Initramfs); err != nil {
		return fmt.Errorf("live initramfs: %w", err)
	}
	grubBIOS := filepath.Join(o.Tree, "usr/lib/grub/i386-pc")
	grubEFI := filepath.Join(o.Tree, "usr/lib/grub/x86_64-efi")
	for _, f := range []string{filepath.Join(grubBIOS, "cdboot.img"), filepath.Join(grubBIOS, "boot_hybrid.img"), filepath.Join(grubBIOS, "moddep.lst"), filepath.Join(grubEFI, "moddep.lst")} {
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("GRUB platform missing in the OS tree: %w (the OS must ship grub-pc-bin and grub-efi-amd64-bin)", err)
		}
	}
	label := o.Label
	if label == "" {
		label = Label(m.Stream, m.Version)
	}
	if !strings.HasPrefix(label, "ALTCOS") || len(label) > 32 || labelBad.MatchString(label) {
		return fmt.Errorf("volume label %q: want ALTCOS..., at most 32 of A-Z 0-9 _ -", label)
	}
	epoch := o.Epoch
	if epoch.IsZero() {
		epoch = time.Now()
	}
	epoch = epoch.UTC()

	work, err := os.MkdirTemp(o.TempDir, "iso-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	// 2. Menus and the build record.
	info := Info{Format: 1, Label: label, LiveArgs: o.LiveArgs, Stream: m.Stream, Version: m.Version, Commit: m.Commit}
	if err := writeMenus(work, info); err != nil {
		return err
	}

	// 3. GRUB boot images from the OS tree's modules.
	bios := filepath.Join(work, "eltorito.img")
	if err := run.Run(ctx, log, run.Cmd{Argv: grubMkimageArgs("i386-pc-eltorito", grubBIOS, "/boot/grub", "", bios, isoBIOSModules)}); err != nil {
		return fmt.Errorf("make the BIOS El Torito image: %w", err)
	}
	// UEFI: the tree's Secure Boot chain, or an unsigned GRUB.
	early := fmt.Sprintf("search --no-floppy --set=root --label '%s'\nset prefix=($root)%s\n", label, isoEFIPrefix)
	signedCfg := "# ALTCOS live ISO: read by Debian's signed GRUB (started by shim), whose built-in prefix is /EFI/debian.\n" +
		early + "source $prefix/grub.cfg\n"
	efiFiles, err := bootloader.SignedESPFiles(log, o.Tree, signedCfg)
	if err != nil {
		return err
	}
	graft := map[string]string{}
	if efiFiles != nil {
		// On a CD-ROM the signed GRUB's prefix is on the disc, not in the
		// El Torito image (bootloader.SignedConfigPath).
		p := filepath.Join(work, "signed-grub.cfg")
		if err := os.WriteFile(p, []byte(signedCfg), 0o644); err != nil {
			return err
		}
		graft[bootloader.SignedConfigPath] = p
	} else {
		earlyPath := filepath.Join(work, "early.cfg")
		if err := os.WriteFile(earlyPath, []byte(early), 0o644); err != nil {
			return err
		}
		efi := filepath.Join(work, "BOOTX64.EFI")
		if err := run.Run(ctx, log, run.Cmd{Argv: grubMkimageArgs("x86_64-efi", grubEFI, isoEFIPrefix, earlyPath, efi, isoEFIModules)}); err != nil {
			return fmt.Errorf("make the UEFI boot loader: %w", err)
		}
		data, err := os.ReadFile(efi)
		if err != nil {
			return err
		}
		efiFiles = map[string][]byte{bootloader.RemovablePath: data}
	}

	// 4. The ESP image (go-diskfs, FAT16).
	esp := filepath.Join(work, "efiboot.img")
	if err := writeESPImage(esp, efiFiles, epoch); err != nil {
		return fmt.Errorf("make the EFI system partition image: %w", err)
	}

	// 5. The hybrid ISO (xorriso), through a temporary name beside the output.
	maps.Copy(graft, map[string]string{
		bootmenu.KernelPath:        kernel,
		bootmenu.InitramfsPath:     o.Initramfs,
		isoBIOSImage:               bios,
		isoBIOSMenu:                filepath.Join(work, biosMenuFile),
		isoEFIMenu:                 filepath.Join(work, efiMenuFile),
		"boot/grub/i386-pc":        grubBIOS,
		"boot/grub/efi/x86_64-efi": grubEFI,
		deployarchive.MediumDir + "/" + deployarchive.ArchiveName:  filepath.Join(o.ArchiveDir, deployarchive.ArchiveName),
		deployarchive.MediumDir + "/" + deployarchive.ManifestName: filepath.Join(o.ArchiveDir, deployarchive.ManifestName),
		deployarchive.MediumDir + "/" + InfoName:                   filepath.Join(work, InfoName),
	})
	err = fsutil.WriteAtomicPath(o.Output, 0o644, func(tmp string) error {
		argv := xorrisoArgs(tmp, label, filepath.Join(grubBIOS, "boot_hybrid.img"), esp, epoch, graft)
		return run.Run(ctx, log, run.Cmd{Argv: argv, Env: []string{fmt.Sprintf("SOURCE_DATE_EPOCH=%d", epoch.Unix())}})
	})
	if err != nil {
		return fmt.Errorf("write the ISO: %w", err)
	}
	log.Info("live ISO written", "path", o.Output, "label", label, "kernel", kver)
	return nil
}

// grubMkimageArgs builds the argv of grub-mkimage for one platform, with the
// modules of dir (the OS tree's GRUB), prefix, an optional embedded config.
func grubMkimageArgs(format, dir, prefix, config, out string, modules []string) []string {
	argv := []string{"grub-mkimage", "-O", format, "-d", dir, "-p", prefix, "-o", out}
	if config != "" {
		argv = append(argv, "-c", config)
	}
	return append(argv, modules...)
}

// xorrisoArgs builds the argv of xorriso (mkisofs emulation) for the
// hybrid ISO. graft maps ISO paths to files or folders on the build host.
func xorrisoArgs(out, label, hybridMBR, esp string, epoch time.Time, graft map[string]string) []string {
	date := epoch.UTC().Format("2006010215040500")
	argv := []string{"xorriso", "-as", "mkisofs",
		"-o", out,
		"-V", label,
		"-volset", label,
		// Rock Ridge with sane modes and owners; no Joliet (not needed, and
		// it has broken El Torito boot in the past).
		"-r",
		// Reproducible: every volume date and every file date from the epoch.
		"--modification-date=" + date,
		"--set_all_file_dates", date,
		// BIOS: GRUB's El Torito image, and its hybrid MBR for USB sticks.
		"--grub2-mbr", hybridMBR,
		"-partition_offset", "16",
		"--mbr-force-bootable",
		"-c", isoBootCatalog,
		"-b", isoBIOSImage, "-no-emul-boot", "-boot-load-size", "4", "-boot-info-table", "--grub2-boot-info",
		// UEFI: the ESP image as MBR partition 2 (type 0xEF) and as the
		// second El Torito image.
		"-append_partition", "2", "0xef", esp,
		"-eltorito-alt-boot", "-e", "--interval:appended_partition_2:all::", "-no-emul-boot",
		"-graft-points",
	}
	keys := make([]string, 0, len(graft))
	for k := range graft {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		argv = append(argv, "/"+strings.TrimPrefix(k, "/")+"="+graft[k])
	}
	return argv
}
