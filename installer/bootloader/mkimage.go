package bootloader

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/altcos/altcos-tools/internal/run"
)

// Platform is one GRUB platform we install.
type Platform struct {
	Name    string   // directory under /usr/lib/grub: i386-pc, x86_64-efi
	Format  string   // grub-mkimage -O
	Modules []string // built into the image; the rest load from the boot partition
}

// The two platforms: the modules the DESIGN.md prototype booted with, plus
// what the static grub.cfg uses before autoloading works.
var (
	BIOS = Platform{Name: "i386-pc", Format: "i386-pc",
		Modules: []string{"biosdisk", "part_gpt", "ext2", "search", "search_fs_uuid", "normal", "configfile", "linux", "serial", "terminal", "test", "echo"}}
	UEFI = Platform{Name: "x86_64-efi", Format: "x86_64-efi",
		Modules: []string{"part_gpt", "ext2", "search", "search_fs_uuid", "normal", "configfile", "linux", "serial", "terminal", "test", "echo", "efi_gop", "all_video"}}
)

// Prefix is where GRUB finds its modules and grub.cfg on the boot partition.
const Prefix = "/grub"

// embeddedConfig is the config built into the images: find the boot
// partition by its filesystem UUID and read the rest from there.
func embeddedConfig(bootUUID string) string {
	return fmt.Sprintf("search --no-floppy --fs-uuid --set=root %s\nset prefix=($root)%s\n", bootUUID, Prefix)
}

// mkImageArgs builds the grub-mkimage command for platform p with the modules
// of grubLib (the OS tree's /usr/lib/grub).
func mkImageArgs(grubLib string, p Platform, cfg, out string) []string {
	argv := []string{"grub-mkimage", "--directory=" + filepath.Join(grubLib, p.Name), "--format=" + p.Format,
		"--output=" + out, "--config=" + cfg, "--prefix=" + Prefix}
	return append(argv, p.Modules...)
}

// MkImage makes the GRUB image of p with the embedded config for bootUUID, in
// dir, and returns its bytes. grub-mkimage is the host's; the modules, and so
// the bootloader, are the OS tree's.
func MkImage(ctx context.Context, log *slog.Logger, grubLib string, p Platform, bootUUID, dir string) ([]byte, error) {
	cfg := filepath.Join(dir, "embedded-"+p.Name+".cfg")
	if err := os.WriteFile(cfg, []byte(embeddedConfig(bootUUID)), 0o644); err != nil {
		return nil, err
	}
	out := filepath.Join(dir, "grub-"+p.Name+".img")
	if _, err := os.Stat(filepath.Join(grubLib, p.Name, "moddep.lst")); err != nil {
		return nil, fmt.Errorf("the OS tree has no GRUB modules for %s at %s; install grub-pc-bin and grub-efi-amd64-bin in the OS", p.Name, filepath.Join(grubLib, p.Name))
	}
	if err := run.Run(ctx, log, run.Cmd{Argv: mkImageArgs(grubLib, p, cfg, out)}); err != nil {
		return nil, fmt.Errorf("make GRUB image for %s: %w", p.Name, err)
	}
	return os.ReadFile(out)
}

// copyModules copies the tree's GRUB directory for p (modules, command and
// module lists) to bootDir/grub/<platform>, so the image can load what it
// does not carry.
func copyModules(grubLib string, p Platform, bootDir string) error {
	src := filepath.Join(grubLib, p.Name)
	dst := filepath.Join(bootDir, strings.TrimPrefix(Prefix, "/"), p.Name)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		return fmt.Errorf("GRUB modules for %s: %w", p.Name, err)
	}
	for _, e := range ents {
		n := e.Name()
		if !e.Type().IsRegular() || !(strings.HasSuffix(n, ".mod") || strings.HasSuffix(n, ".lst")) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, n))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, n), b, 0o644); err != nil {
			return fmt.Errorf("copy GRUB module %s: %w", n, err)
		}
	}
	return nil
}
