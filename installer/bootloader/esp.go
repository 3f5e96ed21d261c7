package bootloader

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/altcos/altcos-tools/internal/run"
)

// RemovablePath is where UEFI firmware looks for a bootloader on a disk
// without boot entries in NVRAM (x86_64).
const RemovablePath = "/EFI/BOOT/BOOTX64.EFI"

// mtoolsArgs builds the mtools commands that make the directories of files
// (FAT paths) and copy each from its local file (src maps FAT path -> local
// path) into the FAT filesystem on dev.
func mtoolsArgs(dev string, src map[string]string) [][]string {
	paths := make([]string, 0, len(src))
	for p := range src {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var cmds [][]string
	made := map[string]bool{"/": true}
	for _, p := range paths {
		var dirs []string
		for d := path.Dir(p); !made[d]; d = path.Dir(d) {
			dirs = append([]string{d}, dirs...)
			made[d] = true
		}
		for _, d := range dirs {
			cmds = append(cmds, []string{"mmd", "-i", dev, "::" + d})
		}
		cmds = append(cmds, []string{"mcopy", "-i", dev, "-o", src[p], "::" + p})
	}
	return cmds
}

// WriteESP writes files (FAT paths -> content) into the FAT filesystem on
// dev, the ESP made by mkfs.vfat, in user space with mtools: no vfat mount,
// which some kernels (this build machine's) do not have. (go-diskfs v1.9.4
// was tried first: it writes a ".." entry that fsck.vfat rejects in a
// first-level directory and leaves the FSInfo free count stale.)
func WriteESP(ctx context.Context, log *slog.Logger, dev, workDir string, files map[string][]byte) error {
	src := map[string]string{}
	for p, b := range files {
		local := filepath.Join(workDir, "esp"+strings.ReplaceAll(p, "/", "_"))
		if err := os.WriteFile(local, b, 0o644); err != nil {
			return err
		}
		src[p] = local
	}
	for _, argv := range mtoolsArgs(dev, src) {
		if err := run.Run(ctx, log, run.Cmd{Argv: argv, Env: []string{"MTOOLS_SKIP_CHECK=1"}}); err != nil {
			return fmt.Errorf("write ESP %s: %w", dev, err)
		}
	}
	return nil
}
