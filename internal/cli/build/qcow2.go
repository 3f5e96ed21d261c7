package buildcli

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/altcos/altcos-tools/image/qcow2"
	"github.com/altcos/altcos-tools/internal/cli"
	"github.com/altcos/altcos-tools/internal/stdio"
)

// runQCOW2 is `altcos-build qcow2`:
//
//	altcos-build qcow2 --archive DIR -o OUT.qcow2 [--size GiB] [--installer PATH] [--xz] [-v]
//
// The installer writes the archive into a raw image in image mode with
// platform qemu; qemu-img converts it. Boot it with
// -fw_cfg name=opt/com.coreos/config,file=CONFIG.ign. Needs root (loop devices).
func runQCOW2(ctx context.Context, args []string, io stdio.Stdio) error {
	fs := cli.NewFlagSet("qcow2", "usage: altcos-build qcow2 --archive DIR -o OUT.qcow2 [flags]", io.Err)
	archive := fs.String("archive", "", "folder with deploy.tar.zst and deploy.json (altcos-build sysroot)")
	out := fs.String("o", "", "the QCOW2 image to write")
	size := fs.Int64("size", qcow2.DefaultSize>>30, "virtual disk size in GiB")
	installer := fs.String("installer", "", "altcos-installer program (default: altcos-installer on PATH, or ALTCOS_TOOL_ALTCOS_INSTALLER)")
	xz := fs.Bool("xz", false, "also write OUT.qcow2.xz")
	verbose := fs.Bool("v", false, "log every command run")
	if help, err := cli.ParseFlags(fs, args); help || err != nil {
		return err
	}
	if *out == "" || *archive == "" || fs.NArg() != 0 {
		return &stdio.UsageError{Msg: "qcow2 needs --archive DIR and -o OUT.qcow2; run `altcos-build qcow2 -h`"}
	}
	if *size < 8 {
		return &stdio.UsageError{Msg: fmt.Sprintf("--size %d GiB is below the installer's 8 GiB minimum", *size)}
	}
	log := cli.Logger(io.Err, *verbose)
	start := time.Now()
	err := qcow2.Build(ctx, qcow2.Options{
		Output: *out, ArchiveDir: *archive, Installer: *installer, SizeBytes: *size << 30, XZ: *xz, Log: log, Stdout: io.Err,
	})
	if err != nil {
		return err
	}
	st, _ := os.Stat(*out)
	fmt.Fprintf(io.Out, "%s: QCOW2, %d MiB on disk, %d GiB virtual, in %s\nboot: qemu-system-x86_64 ... -drive file=%s -fw_cfg %s\n",
		*out, st.Size()>>20, *size, time.Since(start).Round(time.Second/10), *out, qcow2.FwCfgArg("CONFIG.ign"))
	return nil
}
