// Package qcow2 builds the QCOW2 disk image of a deploy archive for QEMU:
// the installer, in image mode, installs into a sparse raw file, which
// qemu-img converts.
package qcow2

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/altcos/altcos-tools/deployarchive"
	"github.com/altcos/altcos-tools/image"
	"github.com/altcos/altcos-tools/internal/fsutil"
	"github.com/altcos/altcos-tools/internal/run"
)

// Options are the inputs of Build.
type Options struct {
	Output     string
	ArchiveDir string // deploy.tar.zst and deploy.json
	// Installer is the altcos-installer program (run.Path resolves it;
	// ALTCOS_TOOL_ALTCOS_INSTALLER overrides).
	Installer string
	// SizeBytes is the virtual disk size (default 10 GiB); the installed
	// system grows its root to the disk it finds at first boot.
	SizeBytes int64
	// XZ also writes Output + ".xz" (the stream metadata's qcow2.xz).
	XZ      bool
	TempDir string
	Log     *slog.Logger
	Stdout  io.Writer // the installer's progress
}

// DefaultSize is the virtual size of the QCOW2 image.
const DefaultSize = 10 << 30

// installArgs is the installer command line that installs the archive
// into the raw image file img for QEMU: Ignition comes from fw_cfg
// (ignition.platform.id=qemu) at first boot, so none is embedded. Like
// Fedora CoreOS's QEMU image it talks on the screen and the first serial
// port (the last console is /dev/console: the serial one, which is all a
// headless VM has).
func installArgs(installer, archive, img string) []string {
	return []string{installer, "install", "--image-mode", "--platform", "qemu", "--yes", "--no-reboot",
		"--console", "tty0", "--console", "ttyS0,115200n8", "--image-file", archive, img}
}

// Build runs the installer in image mode into a sparse raw file and
// converts it with qemu-img. Files go through temporary names in Output's
// folder; a failure leaves nothing behind.
func Build(ctx context.Context, o Options) error {
	log := cmp.Or(o.Log, slog.New(slog.DiscardHandler))
	if _, err := image.ReadArchiveManifest(o.ArchiveDir); err != nil {
		return err
	}
	size := o.SizeBytes
	if size == 0 {
		size = DefaultSize
	}
	installer := o.Installer
	if installer == "" {
		installer = "altcos-installer"
	}
	dir := filepath.Dir(o.Output)
	work, err := os.MkdirTemp(dir, "."+filepath.Base(o.Output)+".work-")
	if err != nil {
		return fmt.Errorf("work folder next to %s: %w", o.Output, err)
	}
	defer os.RemoveAll(work)

	// 1. A sparse raw disk.
	raw := filepath.Join(work, "disk.raw")
	f, err := os.Create(raw)
	if err != nil {
		return err
	}
	err = f.Truncate(size)
	f.Close()
	if err != nil {
		return fmt.Errorf("make a %d-byte image in %s: %w", size, work, err)
	}

	// 2. The installer, in image mode.
	archive := filepath.Join(o.ArchiveDir, deployarchive.ArchiveName)
	if err := run.Run(ctx, log, run.Cmd{Argv: installArgs(installer, archive, raw), Stdout: o.Stdout}); err != nil {
		return fmt.Errorf("install into the raw image: %w", err)
	}

	// 3. qemu-img convert (sparse, so only written blocks are stored), and
	// xz; each output through a temporary name beside it.
	err = fsutil.WriteAtomicPath(o.Output, 0o644, func(tmp string) error {
		if err := run.Run(ctx, log, run.Cmd{Argv: qemuImgConvertArgs(raw, tmp)}); err != nil {
			return fmt.Errorf("convert to QCOW2: %w", err)
		}
		if !o.XZ {
			return nil
		}
		return fsutil.WriteAtomic(o.Output+".xz", 0o644, func(w io.Writer) error {
			if err := run.Run(ctx, log, run.Cmd{Argv: xzArgs(tmp), Stdout: w}); err != nil {
				return fmt.Errorf("compress the QCOW2 with xz: %w", err)
			}
			return nil
		})
	})
	return err
}

// xzArgs compresses file to stdout (one thread: the machine is shared).
func xzArgs(file string) []string {
	return []string{"xz", "-c", "-T1", "-6", file}
}

// qemuImgConvertArgs converts a raw image to QCOW2.
func qemuImgConvertArgs(raw, out string) []string {
	return []string{"qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", raw, out}
}

// FwCfgArg is how a VM started from the QCOW2 gets its Ignition config.
func FwCfgArg(config string) string {
	return "name=opt/com.coreos/config,file=" + config
}
