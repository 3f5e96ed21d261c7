package partition

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
	"unicode"
	"unsafe"

	"github.com/diskfs/go-diskfs/backend"
	"golang.org/x/sys/unix"
)

// Write writes the GPT (both copies) and the protective MBR of parts and
// the kept partitions' entries to f, a disk or image of size bytes. The
// MBR's boot code area (bytes 0-439) is left for the bootloader.
func Write(f backend.WritableFile, size int64, sectorSize int, parts []Part, kept ...Kept) error {
	if err := Table(parts, sectorSize, kept...).Write(f, size); err != nil {
		return fmt.Errorf("write partition table: %w", err)
	}
	return nil
}

// Path is the device node of partition n of disk: sda -> sda3,
// loop0 -> loop0p3, nvme0n1 -> nvme0n1p3.
func Path(disk string, n int) string {
	if r := []rune(disk); len(r) > 0 && unicode.IsDigit(r[len(r)-1]) {
		return disk + "p" + strconv.Itoa(n)
	}
	return disk + strconv.Itoa(n)
}

func blkpg(f *os.File, op int32, p Part, sectorSize int) error {
	var bp unix.BlkpgPartition
	bp.Pno = int32(p.Number)
	if op == unix.BLKPG_ADD_PARTITION {
		bp.Start, bp.Length = p.Start, p.Size
	}
	arg := unix.BlkpgIoctlArg{Op: op, Datalen: int32(unsafe.Sizeof(bp)), Data: (*byte)(unsafe.Pointer(&bp))}
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, f.Fd(), unix.BLKPG, uintptr(unsafe.Pointer(&arg)))
	if errno != 0 {
		return errno
	}
	return nil
}

// AddToKernel tells the kernel about parts on the block device f with BLKPG
// ioctls, first deleting any partition of the same number (the kernel may
// still know the disk's old table). A kernel that parses partition tables by
// itself sees the same partitions; BLKPG works where it does not, too.
func AddToKernel(f *os.File, parts []Part, sectorSize int) error {
	for _, p := range parts {
		if err := blkpg(f, unix.BLKPG_DEL_PARTITION, p, sectorSize); err != nil && !errors.Is(err, unix.ENXIO) {
			return fmt.Errorf("remove old partition %d of %s from the kernel: %w", p.Number, f.Name(), err)
		}
		if err := blkpg(f, unix.BLKPG_ADD_PARTITION, p, sectorSize); err != nil {
			return fmt.Errorf("add partition %d of %s to the kernel (BLKPG): %w", p.Number, f.Name(), err)
		}
	}
	return nil
}

// RemoveFromKernel deletes parts from the kernel's view of f (BLKPG), for
// cleanup; partitions the kernel does not know are skipped.
func RemoveFromKernel(f *os.File, parts []Part) error {
	var errs []error
	for _, p := range parts {
		err := blkpg(f, unix.BLKPG_DEL_PARTITION, p, 0)
		// udev probes a partition after a write to it is closed (blkid
		// opens it for a moment), and the kernel will not delete an open
		// partition: wait that out, as unmounting does.
		for try := 0; errors.Is(err, unix.EBUSY) && try < 20; try++ {
			time.Sleep(100 * time.Millisecond)
			err = blkpg(f, unix.BLKPG_DEL_PARTITION, p, 0)
		}
		if err != nil && !errors.Is(err, unix.ENXIO) {
			errs = append(errs, fmt.Errorf("remove partition %d of %s from the kernel: %w", p.Number, f.Name(), err))
		}
	}
	return errors.Join(errs...)
}

// WaitNodes polls until every path exists as a block device, or fails at
// the deadline (udev, or devtmpfs, makes the nodes shortly after BLKPG).
func WaitNodes(ctx context.Context, paths []string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		missing := ""
		for _, p := range paths {
			if fi, err := os.Stat(p); err != nil || fi.Mode()&os.ModeDevice == 0 {
				missing = p
				break
			}
		}
		if missing == "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("partition device %s did not appear within %s: %w", missing, timeout, ctx.Err())
		case <-tick.C:
		}
	}
}

// WipeLen is how much Wipe zeroes at each place: the MBR and primary GPT
// (the first MiB), the backup GPT (the last MiB), and the signatures at the
// start of each partition (FAT boot sector, ext4 superblock, GRUB's core
// image).
const WipeLen = 1 * MiB

// Wipe zeroes the protective MBR, both GPT copies and the start of each of
// parts on w, a disk of size bytes, so that nothing reads it as partitioned
// or finds the filesystems written. The bytes of kept partitions are never
// written. Errors do not stop it: it wipes what it can and reports every
// failure.
func Wipe(w io.WriterAt, size int64, parts []Part, kept ...Kept) error {
	zero := make([]byte, WipeLen)
	offs := []int64{0, size - WipeLen}
	for _, p := range parts {
		offs = append(offs, p.Start)
	}
	var errs []error
	for _, off := range offs {
		n := int64(WipeLen)
		if off < 0 {
			off = 0
		}
		if off+n > size {
			n = size - off
		}
		if n <= 0 {
			continue
		}
		for _, r := range subtract(off, n, keptRanges(kept)) {
			if _, err := w.WriteAt(zero[:r[1]-r[0]], r[0]); err != nil {
				errs = append(errs, fmt.Errorf("wipe %d bytes at %d: %w", r[1]-r[0], r[0], err))
			}
		}
	}
	if s, ok := w.(interface{ Sync() error }); ok {
		if err := s.Sync(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// DeviceSize returns the size in bytes and the logical sector size of f: a
// block device (BLKGETSIZE64, BLKSSZGET) or a regular file (512).
func DeviceSize(f *os.File) (size int64, sectorSize int, err error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, 0, err
	}
	if fi.Mode().IsRegular() {
		return fi.Size(), 512, nil
	}
	if fi.Mode()&os.ModeDevice == 0 {
		return 0, 0, fmt.Errorf("%s is neither a block device nor an image file", f.Name())
	}
	var sz uint64
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, f.Fd(), unix.BLKGETSIZE64, uintptr(unsafe.Pointer(&sz))); e != 0 {
		return 0, 0, fmt.Errorf("size of %s: %w", f.Name(), e)
	}
	ss, err := unix.IoctlGetInt(int(f.Fd()), unix.BLKSSZGET)
	if err != nil {
		return 0, 0, fmt.Errorf("sector size of %s: %w", f.Name(), err)
	}
	return int64(sz), ss, nil
}
