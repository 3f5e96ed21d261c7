package installer

// The target of an install: the disk (or the loop device over an image
// file), held exclusively from partitioning to the end, and what the back
// half set up on it (partitions, mounts, scratch), so that finish, cleanup
// and release can undo exactly that.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	layout "github.com/altcos/altcos-tools/installer/partition"
	"github.com/altcos/altcos-tools/installer/toolset"
	"golang.org/x/sys/unix"
)

// ExternalTools are the programs the back half runs; see toolset.External.
var ExternalTools = toolset.External

type target struct {
	dev        string // the block device written (a loop device in image mode)
	image      string // the image file, in image mode
	f          *os.File
	size       int64
	sectorSize int
	parts      []layout.Part
	kept       []layout.Kept // entries and bytes never written, restored on failure
	partsAdded bool

	work     string   // scratch directory: mount points, GRUB images
	mounts   []string // mounted directories, in mount order
	rootDir  string   // the root filesystem's mount point
	bootDir  string   // the boot filesystem's mount point
	rootUUID string
	bootUUID string
}

// part is the device node of partition n.
func (t *target) part(n int) string { return layout.Path(t.dev, n) }

// openTarget attaches the image file (image mode), opens the device and
// locks it for the whole install (checkTarget has refused a busy disk).
func openTarget(ctx context.Context, log *slog.Logger, p *Plan) (*target, error) {
	t := &target{dev: p.Device}
	if p.ImageMode {
		t.image = p.Device
		if err := createImage(p); err != nil {
			return nil, err
		}
		dev, err := layout.AttachLoop(ctx, log, p.Device, 512)
		if err != nil {
			return nil, err
		}
		t.dev = dev
	}
	f, err := os.OpenFile(t.dev, os.O_RDWR, 0)
	if err != nil {
		t.detach(log)
		return nil, fmt.Errorf("open %s: %w", t.dev, err)
	}
	t.f = f
	// Hold the disk with a BSD lock, the convention udev and systemd honour
	// ("locking block device access"): O_EXCL on the whole disk would also
	// keep out mkfs and mount, which claim its partitions.
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		t.close(log)
		return nil, fmt.Errorf("lock %s: %w; another program holds it", t.dev, err)
	}
	if t.size, t.sectorSize, err = layout.DeviceSize(f); err != nil {
		t.close(log)
		return nil, err
	}
	work, err := os.MkdirTemp("", "altcos-install-")
	if err != nil {
		t.close(log)
		return nil, err
	}
	t.work = work
	return t, nil
}

// mount mounts dev (ext4) at dir, creating dir.
func (t *target) mount(dev, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := unix.Mount(dev, dir, "ext4", 0, ""); err != nil {
		return fmt.Errorf("mount %s at %s: %w", dev, dir, err)
	}
	t.mounts = append(t.mounts, dir)
	return nil
}

// syncAll flushes each mounted filesystem and reports write-back errors
// (syncfs(2) returns them; sync(2) and umount(2) do not), so that a disk that
// failed under the install is not reported as installed.
func (t *target) syncAll() error {
	for _, m := range t.mounts {
		fd, err := unix.Open(m, unix.O_RDONLY|unix.O_DIRECTORY, 0)
		if err != nil {
			return fmt.Errorf("sync %s: %w", m, err)
		}
		err = unix.Syncfs(fd)
		unix.Close(fd)
		if err != nil {
			return fmt.Errorf("write to %s failed: %w", t.dev, err)
		}
	}
	return nil
}

// flushInterval is how often flushWhile writes back what was written.
var flushInterval = 250 * time.Millisecond

// flushWhile starts writing back the mounted filesystems (and, in image
// mode, the loop device's backing file) every flushInterval, so that the
// disk works while the deploy decompresses and creates files instead of
// after it: the kernel would start only at its dirty threshold (a tenth of
// memory, more than a whole sysroot). It returns the function that stops
// it and returns the first write-back error: syncfs and fsync report one
// only once (errseq), so finish's syncAll would not see it again.
func (t *target) flushWhile() func() error {
	if flushInterval <= 0 {
		return func() error { return nil }
	}
	done, stopped := make(chan struct{}), make(chan error, 1)
	go func() {
		tick := time.NewTicker(flushInterval)
		defer tick.Stop()
		for {
			select {
			case <-done:
				stopped <- nil
				return
			case <-tick.C:
			}
			if err := t.flush(); err != nil {
				<-done
				stopped <- err
				return
			}
		}
	}()
	return func() error { close(done); return <-stopped }
}

// flush writes back the mounted filesystems and, in image mode, the loop
// device (its backing file), reporting the first write-back error.
func (t *target) flush() error {
	if err := t.syncAll(); err != nil {
		return err
	}
	if t.image != "" {
		if err := unix.Fdatasync(int(t.f.Fd())); err != nil {
			return fmt.Errorf("write to %s failed: %w", t.dev, err)
		}
	}
	return nil
}

// unmountAll unmounts in reverse order; a busy filesystem is detached lazily
// rather than left behind.
func (t *target) unmountAll() error {
	var errs []error
	for i := len(t.mounts) - 1; i >= 0; i-- {
		m := t.mounts[i]
		err := unix.Unmount(m, 0)
		for try := 0; errors.Is(err, unix.EBUSY) && try < 10; try++ {
			time.Sleep(100 * time.Millisecond)
			err = unix.Unmount(m, 0)
		}
		if errors.Is(err, unix.EBUSY) {
			err = unix.Unmount(m, unix.MNT_DETACH)
		}
		if err != nil && !errors.Is(err, unix.EINVAL) {
			errs = append(errs, fmt.Errorf("unmount %s: %w", m, err))
		}
	}
	t.mounts = nil
	return errors.Join(errs...)
}

// detach detaches the loop device of image mode.
func (t *target) detach(log *slog.Logger) error {
	if t.image == "" || t.dev == "" || t.dev == t.image {
		return nil
	}
	err := layout.DetachLoop(context.Background(), log, t.dev)
	t.dev = ""
	return err
}

// close releases everything but the disk's content: mounts, the kernel's
// partitions of a loop device, the device itself, the loop, the scratch.
func (t *target) close(log *slog.Logger) error {
	if t == nil {
		return nil
	}
	errs := []error{t.unmountAll()}
	if t.f != nil {
		if t.image != "" && t.partsAdded {
			errs = append(errs, layout.RemoveFromKernel(t.f, t.parts))
		}
		errs = append(errs, t.f.Close())
		t.f = nil
	}
	errs = append(errs, t.detach(log))
	if t.work != "" {
		errs = append(errs, os.RemoveAll(t.work))
		t.work = ""
	}
	return errors.Join(errs...)
}

// workPath is a path in the scratch directory.
func (t *target) workPath(name string) string { return filepath.Join(t.work, name) }

// defaultImageSize is the size of an image file the install creates.
const defaultImageSize = 8 << 30

// imageSize is the size of the image file to create for p.
func imageSize(p *Plan) int64 {
	if p.MinDiskBytes > 0 {
		return p.MinDiskBytes
	}
	return defaultImageSize
}

// createImage makes a missing image file: sparse, of imageSize.
func createImage(p *Plan) error {
	f, err := os.OpenFile(p.Device, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create image file: %w", err)
	}
	defer f.Close()
	if err := f.Truncate(imageSize(p)); err != nil {
		return fmt.Errorf("create image file %s: %w", p.Device, err)
	}
	return nil
}
