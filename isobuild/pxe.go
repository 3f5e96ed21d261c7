package isobuild

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

	"github.com/altcos/altcos-tools/deployarchive"
)

// PXEArtifacts are the files of a PXE boot, named like Fedora CoreOS's.
type PXEArtifacts struct {
	Kernel    string // altcos-<version>-live-vmlinuz.x86_64 ("vmlinuz" is how the machine tests find it)
	Initramfs string // altcos-<version>-live-initramfs.x86_64.img
	// Rootfs is the second initrd: a cpio that puts the deploy archive and its
	// manifest at deployarchive.LiveMount, where the live init finds them.
	Rootfs string // altcos-<version>-live-rootfs.x86_64.img
	// Archive and Manifest are for network installs instead of the second
	// initrd: altcos.inst.image_url=<base>/deploy.tar.zst. They keep their
	// plain names: the installer fetches the manifest (sha256, size) as
	// deploy.json beside the archive's URL.
	Archive, Manifest string
}

// PXEOptions are the inputs of BuildPXE.
type PXEOptions struct {
	OutDir     string
	Tree       string // OS tree: the kernel
	Initramfs  string // the live initramfs
	ArchiveDir string // deploy.tar.zst and deploy.json
	Log        *slog.Logger
}

// PXENames returns the artifact paths for version in dir.
func PXENames(dir, version string) PXEArtifacts {
	p := func(s string) string { return filepath.Join(dir, "altcos-"+version+"-"+s) }
	return PXEArtifacts{
		Kernel:    p("live-vmlinuz.x86_64"),
		Initramfs: p("live-initramfs.x86_64.img"),
		Rootfs:    p("live-rootfs.x86_64.img"),
		Archive:   filepath.Join(dir, deployarchive.ArchiveName),
		Manifest:  filepath.Join(dir, deployarchive.ManifestName),
	}
}

// BuildPXE writes the PXE artifacts into o.OutDir. Each file is written to a
// temporary name and renamed, so a failure leaves no partial file.
func BuildPXE(ctx context.Context, o PXEOptions) (*PXEArtifacts, error) {
	m, err := ReadArchiveManifest(o.ArchiveDir)
	if err != nil {
		return nil, err
	}
	kver, err := KernelIn(o.Tree)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return nil, err
	}
	a := PXENames(o.OutDir, m.Version)
	copies := [][2]string{
		{filepath.Join(o.Tree, "usr/lib/modules", kver, "vmlinuz"), a.Kernel},
		{o.Initramfs, a.Initramfs},
		{filepath.Join(o.ArchiveDir, deployarchive.ArchiveName), a.Archive},
		{filepath.Join(o.ArchiveDir, deployarchive.ManifestName), a.Manifest},
	}
	for _, c := range copies {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := artifactWriteAtomically(c[1], func(w io.Writer) error { return pxeCopyFile(w, c[0]) }); err != nil {
			return nil, fmt.Errorf("write %s: %w", c[1], err)
		}
	}
	err = artifactWriteAtomically(a.Rootfs, func(w io.Writer) error {
		return WriteRootfsCPIO(w, filepath.Join(o.ArchiveDir, deployarchive.ArchiveName), filepath.Join(o.ArchiveDir, deployarchive.ManifestName))
	})
	if err != nil {
		return nil, fmt.Errorf("write the PXE rootfs %s: %w", a.Rootfs, err)
	}
	return &a, nil
}

// PXEKernelArgs are the kernel arguments of a PXE boot that installs onto
// dev unattended; ignitionURL may be empty.
func PXEKernelArgs(dev, ignitionURL string) []string {
	args := []string{"console=tty0", "console=ttyS0,115200n8"}
	if dev != "" {
		args = append(args, "altcos.inst.install_dev="+dev)
	}
	if ignitionURL != "" {
		args = append(args, "altcos.inst.ignition_url="+ignitionURL)
	}
	return args
}

// WriteRootfsCPIO writes a newc cpio (uncompressed: the archive already is)
// holding the deploy archive and manifest under deployarchive.LiveMount.
// The kernel unpacks it over the live initramfs when given as a second initrd.
func WriteRootfsCPIO(w io.Writer, archive, manifest string) error {
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

// artifactWriteAtomically writes dst through a temporary file beside it.
func artifactWriteAtomically(dst string, fill func(io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := fill(tmp); err != nil {
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

func pxeCopyFile(w io.Writer, src string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}
