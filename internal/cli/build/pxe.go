package buildcli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/altcos/altcos-tools/image"
	"github.com/altcos/altcos-tools/image/pxe"
	"github.com/altcos/altcos-tools/internal/cli"
	"github.com/altcos/altcos-tools/internal/stdio"
)

// runPXE is `altcos-build pxe`:
//
//	altcos-build pxe --repo R [--stream S | --rev REV] --archive DIR -o OUTDIR
//	                 [--tree DIR] [--initramfs FILE] [--src DIR] [--xz] [-v]
//	altcos-build pxe customize [--dest-device DEV] [--dest-* ...] -o OUT.img INITRAMFS.img
//	altcos-build pxe inspect INITRAMFS.img
//
// It writes the kernel, the live initramfs, the rootfs (the deploy archive as
// a second initrd) and the archive with its manifest for installs that fetch
// it from altcos.inst.image_url instead. --xz also writes ROOTFS.xz (the
// stream's pxe.xz rootfs, with the uncompressed sha256).
func runPXE(ctx context.Context, args []string, io stdio.Stdio) error {
	if len(args) > 0 {
		switch args[0] {
		case "customize":
			return runPXECustomize(ctx, args[1:], io)
		case "inspect":
			return runPXEInspect(ctx, args[1:], io)
		}
	}
	fs := cli.NewFlagSet("pxe", "usage: altcos-build pxe --repo R [--stream S] --archive DIR -o OUTDIR [flags]\n       altcos-build pxe customize -h\n       altcos-build pxe inspect INITRAMFS.img", io.Err)
	var a artifactFlags
	a.register(fs, true)
	xz := fs.Bool("xz", false, "also write the rootfs compressed with xz (ROOTFS.xz)")
	if help, err := cli.ParseFlags(fs, args); help || err != nil {
		return err
	}
	if a.out == "" || a.archive == "" || fs.NArg() != 0 {
		return &stdio.UsageError{Msg: "pxe needs -o OUTDIR and --archive DIR; run `altcos-build pxe -h`"}
	}
	log := a.logger(io)
	tree, err := a.osTree(ctx, log)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(a.out, 0o755); err != nil {
		return err
	}
	work, err := os.MkdirTemp(a.out, ".pxe-work-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	initrd, err := a.liveInitramfs(ctx, log, tree, work)
	if err != nil {
		return err
	}
	arts, err := pxe.Build(ctx, pxe.Options{OutDir: a.out, Tree: tree, Initramfs: initrd, ArchiveDir: a.archive, Log: log})
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "kernel:    %s\ninitramfs: %s\nrootfs:    %s\narchive:   %s\nmanifest:  %s\n", arts.Kernel, arts.Initramfs, arts.Rootfs, arts.Archive, arts.Manifest)
	if *xz {
		p, err := image.CompressXZ(ctx, log, arts.Rootfs)
		if err != nil {
			return err
		}
		fmt.Fprintf(io.Out, "rootfs.xz: %s\n", p)
	}
	fmt.Fprintf(io.Out, "\nboot KERNEL with both initrds (iPXE: two initrd lines; QEMU: -initrd of `cat INITRAMFS ROOTFS`) and e.g.:\n  %s\n",
		strings.Join(pxe.KernelArgs("/dev/vda", "http://10.0.2.2:8080/config.ign"), " "))
	fmt.Fprintf(io.Out, "or without ROOTFS: add altcos.inst.image_url=https://HOST/%s\n", baseName(arts.Archive))
	return nil
}

func baseName(p string) string { return p[strings.LastIndex(p, "/")+1:] }
