package buildcli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/altcos/altcos-tools/image"
	"github.com/altcos/altcos-tools/image/pxe"
	"github.com/altcos/altcos-tools/image/stream"
	"github.com/altcos/altcos-tools/internal/cli"
	"github.com/altcos/altcos-tools/internal/stdio"
)

// runStream is `altcos-build stream`:
//
//	altcos-build stream --archive DIR [--iso F] [--pxe-dir D] [--qcow2 F] [--base-url URL] -o OUT/<stream>.json
//
// It writes Fedora CoreOS-shaped stream metadata for the given artifacts:
// architectures.x86_64.artifacts.{metal,qemu}.formats.{iso,pxe,qcow2,qcow2.xz}
// with location and sha256. Stream and release come from the archive's
// manifest; metadata.last-modified is SOURCE_DATE_EPOCH, or now.
func runStream(ctx context.Context, args []string, io stdio.Stdio) error {
	fs := flag.NewFlagSet("stream", flag.ContinueOnError)
	fs.SetOutput(io.Err)
	archive := fs.String("archive", "", "folder with deploy.json: the stream and release")
	iso := fs.String("iso", "", "live ISO (metal iso)")
	pxeDir := fs.String("pxe-dir", "", "folder of altcos-build pxe output (metal pxe)")
	qcow2 := fs.String("qcow2", "", "QCOW2 image (qemu qcow2; a .xz beside it becomes qcow2.xz)")
	baseURL := fs.String("base-url", "", "URL the artifacts are published under")
	out := fs.String("o", "", "output file (default: <stream>.json)")
	fs.Usage = func() {
		fmt.Fprintln(io.Err, "usage: altcos-build stream --archive DIR [--iso F] [--pxe-dir D] [--qcow2 F] [--base-url URL] [-o FILE]")
		fs.PrintDefaults()
	}
	if help, err := cli.ParseFlags(fs, args); help || err != nil {
		return err
	}
	if *archive == "" || fs.NArg() != 0 {
		return &stdio.UsageError{Msg: "stream needs --archive DIR (for stream and release) and artifact flags; run `altcos-build stream -h`"}
	}
	m, err := image.ReadArchiveManifest(*archive)
	if err != nil {
		return err
	}
	var files []stream.File
	if *iso != "" {
		files = append(files, stream.File{Platform: "metal", Format: "iso", Role: "disk", Path: *iso})
	}
	if *pxeDir != "" {
		a := pxe.Names(*pxeDir, m.Arch, m.Version)
		files = append(files,
			stream.File{Platform: "metal", Format: "pxe", Role: "kernel", Path: a.Kernel},
			stream.File{Platform: "metal", Format: "pxe", Role: "initramfs", Path: a.Initramfs},
			stream.File{Platform: "metal", Format: "pxe", Role: "rootfs", Path: a.Rootfs})
	}
	if *qcow2 != "" {
		files = append(files, stream.File{Platform: "qemu", Format: "qcow2", Role: "disk", Path: *qcow2})
		if _, err := os.Stat(*qcow2 + ".xz"); err == nil {
			files = append(files, stream.File{Platform: "qemu", Format: "qcow2.xz", Role: "disk", Path: *qcow2 + ".xz"})
		}
	}
	epoch, err := cli.SourceDateEpoch()
	if err != nil {
		return err
	}
	if epoch.IsZero() {
		epoch = time.Now()
	}
	meta, err := stream.Make(stream.Options{Stream: m.Stream, Release: m.Version, Arch: m.Arch, BaseURL: *baseURL, Files: files, Modified: epoch})
	if err != nil {
		return err
	}
	path := *out
	if path == "" {
		path = m.Stream + ".json"
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := stream.Write(path, meta); err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "%s: stream %s, release %s, %d artifacts\n", path, m.Stream, m.Version, len(files))
	return nil
}
