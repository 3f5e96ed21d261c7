// Package pxe writes the files of a PXE boot of a commit: its kernel, the
// live initramfs, a second initrd carrying the deploy archive, and the
// archive itself for installs over the network.
package pxe

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/u-root/mkuimage/cpio"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/compose"
	"github.com/altcos/altcos-tools/deployarchive"
	"github.com/altcos/altcos-tools/image"
	"github.com/altcos/altcos-tools/internal/fsutil"
)

// Artifacts are the files of a PXE boot, named like Fedora CoreOS's.
type Artifacts struct {
	Kernel    string // altcos-<version>-live-vmlinuz.<arch> ("vmlinuz" is how the machine tests find it)
	Initramfs string // altcos-<version>-live-initramfs.<arch>.img
	// Rootfs is the second initrd: a cpio that puts the deploy archive and its
	// manifest at deployarchive.LiveMount, where the live init finds them.
	Rootfs string // altcos-<version>-live-rootfs.<arch>.img
	// Archive and Manifest are for network installs instead of the second
	// initrd: altcos.inst.image_url=<base>/deploy.tar.zst. They keep their
	// plain names: the installer fetches the manifest (sha256, size) as
	// deploy.json beside the archive's URL.
	Archive, Manifest string
}

// Options are the inputs of Build.
type Options struct {
	OutDir     string
	Tree       string // OS tree: the kernel
	Initramfs  string // the live initramfs
	ArchiveDir string // deploy.tar.zst and deploy.json
	Log        *slog.Logger
}

// Names returns the artifact paths of version for arch (the deploy
// archive's architecture) in dir.
func Names(dir, arch, version string) Artifacts {
	p := func(s string) string { return filepath.Join(dir, "altcos-"+version+"-"+s) }
	return Artifacts{
		Kernel:    p("live-vmlinuz." + arch),
		Initramfs: p("live-initramfs." + arch + ".img"),
		Rootfs:    p("live-rootfs." + arch + ".img"),
		Archive:   filepath.Join(dir, deployarchive.ArchiveName),
		Manifest:  filepath.Join(dir, deployarchive.ManifestName),
	}
}

// Build writes the PXE artifacts into o.OutDir. Each file is written to a
// temporary name and renamed, so a failure leaves no partial file.
func Build(ctx context.Context, o Options) (*Artifacts, error) {
	m, err := image.ReadArchiveManifest(o.ArchiveDir)
	if err != nil {
		return nil, err
	}
	kver, err := compose.FindKernel(o.Tree)
	if err != nil {
		return nil, fmt.Errorf("OS tree %s: %w", o.Tree, err)
	}
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return nil, err
	}
	if err := altcos.ValidateArch(m.Arch); err != nil {
		return nil, fmt.Errorf("deploy archive manifest in %s: %w", o.ArchiveDir, err)
	}
	a := Names(o.OutDir, m.Arch, m.Version)
	archive := filepath.Join(o.ArchiveDir, deployarchive.ArchiveName)
	manifest := filepath.Join(o.ArchiveDir, deployarchive.ManifestName)
	copies := [][2]string{
		{compose.KernelPath(o.Tree, kver), a.Kernel},
		{o.Initramfs, a.Initramfs},
		{archive, a.Archive},
		{manifest, a.Manifest},
	}
	for _, c := range copies {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := fsutil.WriteAtomic(c[1], 0o644, func(w io.Writer) error { _, err := copyFrom(w, c[0]); return err }); err != nil {
			return nil, err
		}
	}
	err = fsutil.WriteAtomic(a.Rootfs, 0o644, func(w io.Writer) error { return writeRootfsCPIO(w, archive, manifest) })
	if err != nil {
		return nil, fmt.Errorf("PXE rootfs: %w", err)
	}
	return &a, nil
}

// KernelArgs are the kernel arguments of a PXE boot that installs onto
// dev unattended; ignitionURL may be empty.
func KernelArgs(dev, ignitionURL string) []string {
	args := []string{"console=tty0", "console=ttyS0,115200n8"}
	if dev != "" {
		args = append(args, "altcos.inst.install_dev="+dev)
	}
	if ignitionURL != "" {
		args = append(args, "altcos.inst.ignition_url="+ignitionURL)
	}
	return args
}

// writeRootfsCPIO writes a newc cpio (uncompressed: the archive already is)
// holding the deploy archive and manifest under deployarchive.LiveMount.
// The kernel unpacks it over the live initramfs when given as a second initrd.
func writeRootfsCPIO(w io.Writer, archive, manifest string) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	rw := cpio.Newc.Writer(bw)
	dir := strings.TrimPrefix(path.Join(deployarchive.LiveMount, deployarchive.MediumDir), "/")
	var dirs []string
	for d := dir; d != "."; d = path.Dir(d) {
		dirs = append([]string{d}, dirs...)
	}
	for _, d := range dirs {
		if err := rw.WriteRecord(cpio.MakeReproducible(cpio.Directory(d, 0o755))); err != nil {
			return err
		}
	}
	for _, src := range []string{manifest, archive} {
		f, err := os.Open(src)
		if err != nil {
			return err
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return err
		}
		rec := cpio.Record{ReaderAt: f, Info: cpio.Info{
			Name: path.Join(dir, filepath.Base(src)), Mode: cpio.S_IFREG | 0o644, FileSize: uint64(st.Size()), NLink: 1,
		}}
		err = rw.WriteRecord(cpio.MakeReproducible(rec))
		f.Close()
		if err != nil {
			return err
		}
	}
	if err := cpio.WriteTrailer(rw); err != nil {
		return err
	}
	return bw.Flush()
}

// copyFrom copies the file src to w and returns how many bytes it copied.
func copyFrom(w io.Writer, src string) (int64, error) {
	f, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return io.Copy(w, f)
}
