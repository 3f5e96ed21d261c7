package iso

import (
	"os"
	"time"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem/fat16"
)

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
