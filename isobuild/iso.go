package isobuild

// The live ISO. Which tool does what, and why:
//
//   - grub-mkimage (the OS tree's own GRUB modules, -d TREE/usr/lib/grub/...)
//     makes the two boot loaders: i386-pc-eltorito for BIOS El Torito and
//     x86_64-efi for UEFI, so the ISO boots with the GRUB the OS ships.
//   - go-diskfs writes the EFI system partition image (efiboot.img, FAT16:
//     FAT32 below ~33 MiB is out of spec) holding EFI/BOOT/BOOTX64.EFI. No
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
//	/altcos/deploy.tar.zst, deploy.json    the deploy archive and its manifest
//	/altcos/iso.json                       how this ISO was built (label, live kargs)
//	appended partition 2 (EFI)             efiboot.img

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem/fat16"

	"github.com/altcos/altcos-tools/bootmenu"
	"github.com/altcos/altcos-tools/deployarchive"
	"github.com/altcos/altcos-tools/internal/run"
)

// ISO paths besides bootmenu.KernelPath and InitramfsPath.
const (
	isoBIOSImage   = "boot/grub/i386-pc/eltorito.img"
	isoBootCatalog = "boot/grub/boot.cat"
	isoBIOSMenu    = "boot/grub/grub.cfg"
	isoEFIPrefix   = "/boot/grub/efi"
	isoEFIMenu     = "boot/grub/efi/grub.cfg"
	// ISOInfoName is the build record in the medium's altcos/ folder.
	ISOInfoName = "iso.json"
)

// GRUB modules built into the boot images, so the menu needs no insmod.
var (
	isoBIOSModules = []string{"biosdisk", "iso9660", "part_msdos", "part_gpt", "normal", "configfile", "linux",
		"search", "search_label", "search_fs_file", "serial", "terminal", "echo", "test", "chain", "ls", "cat", "halt", "reboot"}
	isoEFIModules = []string{"part_gpt", "part_msdos", "fat", "iso9660", "normal", "configfile", "linux",
		"search", "search_label", "search_fs_file", "serial", "terminal", "efi_gop", "echo", "test", "chain", "ls", "cat", "halt", "reboot"}
)

// ISOOptions are the inputs of one live ISO.
type ISOOptions struct {
	Output string
	// Tree is the OS tree of the commit (see CheckoutTree): the kernel from
	// usr/lib/modules/<kver>/vmlinuz, GRUB from usr/lib/grub/{i386-pc,x86_64-efi}.
	Tree string
	// Initramfs is the live initramfs (initramfs.Build).
	Initramfs string
	// ArchiveDir holds deploy.tar.zst and deploy.json (altcos-build sysroot).
	ArchiveDir string
	// Label is the volume label; "" derives it from the manifest (ISOLabel).
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

// ISOInfo is /altcos/iso.json: what `iso customize` needs to redo the menus.
type ISOInfo struct {
	Format   int      `json:"format"` // 1
	Label    string   `json:"label"`
	LiveArgs []string `json:"live_kargs,omitempty"`
	Stream   string   `json:"stream"`
	Version  string   `json:"version"`
	Commit   string   `json:"commit"`
}

var isoLabelBad = regexp.MustCompile(`[^A-Z0-9_-]+`)

// ISOLabel is the volume label of a stream's version: "ALTCOS-" + stream +
// "-" + the version without its stream, upper case, in ISO 9660's
// d-characters plus '-', at most 32 characters. Every label starts with
// "ALTCOS": the installer's disk discovery and the live init look for that.
func ISOLabel(stream, version string) string {
	v := strings.TrimPrefix(version, stream+".")
	l := "ALTCOS-" + strings.ToUpper(stream) + "-" + strings.ToUpper(v)
	l = isoLabelBad.ReplaceAllString(l, "-")
	if len(l) > 32 {
		l = l[:32]
	}
	return strings.TrimRight(l, "-")
}

// KernelIn returns the version of the one kernel in tree's usr/lib/modules.
func KernelIn(tree string) (string, error) {
	dir := filepath.Join(tree, "usr/lib/modules")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("no kernel in the OS tree: %w", err)
	}
	var found []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(dir, e.Name(), "vmlinuz")); err == nil {
			found = append(found, e.Name())
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("no kernel in the OS tree: no %s/<kver>/vmlinuz; compose the commit with a kernel", dir)
	case 1:
		return found[0], nil
	default:
		return "", fmt.Errorf("%d kernels in %s (%s); the live system boots exactly one", len(found), dir, strings.Join(found, ", "))
	}
}

// ReadArchiveManifest reads deploy.json of an archive folder and checks that
// the archive is beside it.
func ReadArchiveManifest(dir string) (*deployarchive.Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, deployarchive.ManifestName))
	if err != nil {
		return nil, fmt.Errorf("deploy archive manifest: %w (run `altcos-build sysroot` first)", err)
	}
	var m deployarchive.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("parse %s: %w", filepath.Join(dir, deployarchive.ManifestName), err)
	}
	if m.Stream == "" || m.Version == "" {
		return nil, fmt.Errorf("%s names no stream or version", filepath.Join(dir, deployarchive.ManifestName))
	}
	if _, err := os.Stat(filepath.Join(dir, deployarchive.ArchiveName)); err != nil {
		return nil, fmt.Errorf("deploy archive: %w", err)
	}
	return &m, nil
}

// BuildISO writes the live ISO to o.Output: through a temporary file in the
// same folder, renamed at the end, so a failure (or a full disk) leaves no
// partial ISO behind.
func BuildISO(ctx context.Context, o ISOOptions) (err error) {
	log := o.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	// 1. Inputs: manifest, kernel, initramfs, GRUB platforms.
	m, err := ReadArchiveManifest(o.ArchiveDir)
	if err != nil {
		return err
	}
	kver, err := KernelIn(o.Tree)
	if err != nil {
		return err
	}
	kernel := filepath.Join(o.Tree, "usr/lib/modules", kver, "vmlinuz")
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
		label = ISOLabel(m.Stream, m.Version)
	}
	if !strings.HasPrefix(label, "ALTCOS") || len(label) > 32 || isoLabelBad.MatchString(label) {
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
	info := ISOInfo{Format: 1, Label: label, LiveArgs: o.LiveArgs, Stream: m.Stream, Version: m.Version, Commit: m.Commit}
	if err := writeISOMenus(work, info); err != nil {
		return err
	}
	infoJSON, _ := json.MarshalIndent(info, "", "  ")
	if err := os.WriteFile(filepath.Join(work, ISOInfoName), append(infoJSON, '\n'), 0o644); err != nil {
		return err
	}

	// 3. GRUB boot images from the OS tree's modules.
	bios := filepath.Join(work, "eltorito.img")
	if err := run.Run(ctx, log, run.Cmd{Argv: GrubMkimageArgs("i386-pc-eltorito", grubBIOS, "/boot/grub", "", bios, isoBIOSModules)}); err != nil {
		return fmt.Errorf("make the BIOS El Torito image: %w", err)
	}
	early := filepath.Join(work, "early.cfg")
	if err := os.WriteFile(early, []byte(fmt.Sprintf("search --no-floppy --set=root --label '%s'\nset prefix=($root)%s\n", label, isoEFIPrefix)), 0o644); err != nil {
		return err
	}
	efi := filepath.Join(work, "BOOTX64.EFI")
	if err := run.Run(ctx, log, run.Cmd{Argv: GrubMkimageArgs("x86_64-efi", grubEFI, isoEFIPrefix, early, efi, isoEFIModules)}); err != nil {
		return fmt.Errorf("make the UEFI boot loader: %w", err)
	}

	// 4. The ESP image (go-diskfs, FAT16).
	esp := filepath.Join(work, "efiboot.img")
	if err := writeESPImage(esp, efi, epoch); err != nil {
		return fmt.Errorf("make the EFI system partition image: %w", err)
	}

	// 5. The hybrid ISO (xorriso), to a temporary name.
	tmp, err := os.CreateTemp(filepath.Dir(o.Output), "."+filepath.Base(o.Output)+".tmp-")
	if err != nil {
		return fmt.Errorf("create the ISO next to %s: %w", o.Output, err)
	}
	tmp.Close()
	defer func() {
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	os.Remove(tmp.Name()) // xorriso refuses to overwrite a non-ISO file
	graft := map[string]string{
		bootmenu.KernelPath:        kernel,
		bootmenu.InitramfsPath:     o.Initramfs,
		isoBIOSImage:               bios,
		isoBIOSMenu:                filepath.Join(work, "grub-bios.cfg"),
		isoEFIMenu:                 filepath.Join(work, "grub-efi.cfg"),
		"boot/grub/i386-pc":        grubBIOS,
		"boot/grub/efi/x86_64-efi": grubEFI,
		deployarchive.MediumDir + "/" + deployarchive.ArchiveName:  filepath.Join(o.ArchiveDir, deployarchive.ArchiveName),
		deployarchive.MediumDir + "/" + deployarchive.ManifestName: filepath.Join(o.ArchiveDir, deployarchive.ManifestName),
		deployarchive.MediumDir + "/" + ISOInfoName:                filepath.Join(work, ISOInfoName),
	}
	argv := XorrisoISOArgs(tmp.Name(), label, filepath.Join(grubBIOS, "boot_hybrid.img"), esp, epoch, graft)
	if err := run.Run(ctx, log, run.Cmd{Argv: argv, Env: []string{fmt.Sprintf("SOURCE_DATE_EPOCH=%d", epoch.Unix())}}); err != nil {
		return fmt.Errorf("write the ISO: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), o.Output); err != nil {
		return err
	}
	log.Info("live ISO written", "path", o.Output, "label", label, "kernel", kver)
	return nil
}

// writeISOMenus renders the BIOS and UEFI menus into dir.
func writeISOMenus(dir string, info ISOInfo) error {
	for _, fw := range []struct {
		f    bootmenu.Firmware
		name string
	}{{bootmenu.BIOS, "grub-bios.cfg"}, {bootmenu.UEFI, "grub-efi.cfg"}} {
		text, err := bootmenu.RenderISO(bootmenu.ISOOptions{Firmware: fw.f, Label: info.Label, ExtraArgs: info.LiveArgs})
		if err != nil {
			return fmt.Errorf("%s menu: %w", fw.f, err)
		}
		if err := os.WriteFile(filepath.Join(dir, fw.name), []byte(text), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// GrubMkimageArgs builds the argv of grub-mkimage for one platform, with the
// modules of dir (the OS tree's GRUB), prefix, an optional embedded config.
func GrubMkimageArgs(format, dir, prefix, config, out string, modules []string) []string {
	argv := []string{"grub-mkimage", "-O", format, "-d", dir, "-p", prefix, "-o", out}
	if config != "" {
		argv = append(argv, "-c", config)
	}
	return append(argv, modules...)
}

// XorrisoISOArgs builds the argv of xorriso (mkisofs emulation) for the
// hybrid ISO. graft maps ISO paths to files or folders on the build host.
func XorrisoISOArgs(out, label, hybridMBR, esp string, epoch time.Time, graft map[string]string) []string {
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

// writeESPImage writes a FAT16 image holding EFI/BOOT/BOOTX64.EFI, sized to
// fit it (at least 4 MiB, the smallest FAT16 in spec with 1 KiB clusters).
func writeESPImage(out, bootx64 string, epoch time.Time) error {
	data, err := os.ReadFile(bootx64)
	if err != nil {
		return err
	}
	const mib = 1 << 20
	size := int64(len(data))/mib*mib + 2*mib
	if size < 8*mib {
		size = 8 * mib
	}
	b, err := file.CreateFromPath(out, size)
	if err != nil {
		return err
	}
	defer b.Close()
	fs, err := fat16.Create(b, size, 0, 512, "ALTCOS-ESP", true)
	if err != nil {
		return err
	}
	for _, d := range []string{"/EFI", "/EFI/BOOT"} {
		if err := fs.Mkdir(d); err != nil {
			return err
		}
	}
	f, err := fs.OpenFile("/EFI/BOOT/BOOTX64.EFI", os.O_CREATE|os.O_RDWR)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	for _, p := range []string{"/EFI", "/EFI/BOOT", "/EFI/BOOT/BOOTX64.EFI"} {
		if err := fs.Chtimes(p, epoch, epoch, epoch); err != nil {
			return err
		}
	}
	return nil
}
