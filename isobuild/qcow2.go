package isobuild

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/altcos/altcos-tools/deployarchive"
	"github.com/altcos/altcos-tools/internal/run"
)

// QCOW2Options are the inputs of BuildQCOW2.
type QCOW2Options struct {
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

// DefaultQCOW2Size is the virtual size of the QCOW2 image.
const DefaultQCOW2Size = 10 << 30

// QCOW2InstallArgs is the installer command line that installs the archive
// into the raw image file img for QEMU: Ignition comes from fw_cfg
// (ignition.platform.id=qemu) at first boot, so none is embedded. Like
// Fedora CoreOS's QEMU image it talks on the screen and the first serial
// port (the last console is /dev/console: the serial one, which is all a
// headless VM has).
func QCOW2InstallArgs(installer, archive, img string) []string {
	return []string{installer, "install", "--image-mode", "--platform", "qemu", "--yes", "--no-reboot",
		"--console", "tty0", "--console", "ttyS0,115200n8", "--image-file", archive, img}
}

// BuildQCOW2 runs the installer in image mode into a sparse raw file and
// converts it with qemu-img. Files go through temporary names in Output's
// folder; a failure leaves nothing behind.
func BuildQCOW2(ctx context.Context, o QCOW2Options) (err error) {
	log := o.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if _, err := ReadArchiveManifest(o.ArchiveDir); err != nil {
		return err
	}
	size := o.SizeBytes
	if size == 0 {
		size = DefaultQCOW2Size
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
	if err := run.Run(ctx, log, run.Cmd{Argv: QCOW2InstallArgs(installer, archive, raw), Stdout: o.Stdout}); err != nil {
		return fmt.Errorf("install into the raw image: %w", err)
	}

	// 3. qemu-img convert (sparse, so only written blocks are stored).
	tmp := filepath.Join(work, "disk.qcow2")
	if err := run.Run(ctx, log, run.Cmd{Argv: QemuImgConvertArgs(raw, tmp)}); err != nil {
		return fmt.Errorf("convert to QCOW2: %w", err)
	}
	if o.XZ {
		xzTmp := filepath.Join(work, "disk.qcow2.xz")
		out, err := os.Create(xzTmp)
		if err != nil {
			return err
		}
		err = run.Run(ctx, log, run.Cmd{Argv: []string{"xz", "-c", "-T1", "-6", tmp}, Stdout: out})
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("compress the QCOW2 with xz: %w", err)
		}
		if err := os.Rename(xzTmp, o.Output+".xz"); err != nil {
			return err
		}
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, o.Output)
}

// QemuImgConvertArgs converts a raw image to QCOW2.
func QemuImgConvertArgs(raw, out string) []string {
	return []string{"qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", raw, out}
}

// QEMUFwCfgArg is how a VM started from the QCOW2 gets its Ignition config.
func QEMUFwCfgArg(config string) string {
	return "name=opt/com.coreos/config,file=" + config
}
