package iso

import (
	"os"
	"path"
	"sort"
	"time"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem/fat16"
)

// writeESPImage writes a FAT16 image holding files (FAT path -> content),
// sized to fit them (at least 8 MiB; FAT16 in spec with 1 KiB clusters).
func writeESPImage(out string, files map[string][]byte, epoch time.Time) error {
	const mib = 1 << 20
	var total int64
	for _, data := range files {
		total += int64(len(data))
	}
	size := total/mib*mib + 2*mib
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
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	stamped := map[string]bool{}
	for _, p := range paths {
		var dirs []string
		for d := path.Dir(p); d != "/" && !stamped[d]; d = path.Dir(d) {
			dirs = append([]string{d}, dirs...)
			stamped[d] = true
		}
		for _, d := range dirs {
			if err := fs.Mkdir(d); err != nil {
				return err
			}
		}
		f, err := fs.OpenFile(p, os.O_CREATE|os.O_RDWR)
		if err != nil {
			return err
		}
		if _, err := f.Write(files[p]); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		stamped[p] = true
	}
	for p := range stamped {
		if err := fs.Chtimes(p, epoch, epoch, epoch); err != nil {
			return err
		}
	}
	return nil
}
