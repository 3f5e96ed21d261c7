package vmtests

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/altcos/altcos-tools/deployarchive"
	"github.com/altcos/altcos-tools/vmtests/qemu"
)

// pxeFiles finds the PXE kernel and initrds in dir and joins the initrds
// into one file, as a boot loader loading two initrds does (QEMU's -initrd
// takes one; Linux reads concatenated cpio archives as one).
func pxeFiles(env *Env) (kernel, initrd string, err error) {
	dir := env.Art.PXEDir
	if dir == "" {
		return "", "", missingf("no PXE artifacts: give --pxe-dir or ALTCOS_VMTEST_PXE_DIR (make pxe builds them)")
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", "", err
	}
	var kernels, initrds, rootfs []string
	for _, e := range ents {
		n := e.Name()
		switch {
		case strings.Contains(n, "vmlinuz") || strings.Contains(n, "kernel"):
			kernels = append(kernels, filepath.Join(dir, n))
		case strings.Contains(n, "rootfs"):
			rootfs = append(rootfs, filepath.Join(dir, n))
		case strings.Contains(n, "initr") || strings.HasSuffix(n, ".cpio") || strings.HasSuffix(n, ".img"):
			initrds = append(initrds, filepath.Join(dir, n))
		}
	}
	// Builds of several versions may share the folder: take the files of
	// the version its deploy.json names.
	if len(kernels) > 1 || len(initrds) > 1 || len(rootfs) > 1 {
		if m, err := pxeManifest(dir); err == nil {
			kernels, initrds, rootfs = withVersion(kernels, m.Version), withVersion(initrds, m.Version), withVersion(rootfs, m.Version)
		}
	}
	if len(kernels) != 1 || len(initrds) != 1 || len(rootfs) > 1 {
		return "", "", fmt.Errorf("PXE folder %s must hold one kernel (*vmlinuz*, *kernel*), one live initramfs (*initr*, *.img) and at most one rootfs (*rootfs*); it has %d, %d and %d: keep one version", dir, len(kernels), len(initrds), len(rootfs))
	}
	kernel = kernels[0]
	// The live initramfs first, the deploy archive's rootfs after it.
	initrds = append(initrds, rootfs...)
	initrd = filepath.Join(env.Out, "pxe-initrd.img")
	out, err := os.Create(initrd)
	if err != nil {
		return "", "", err
	}
	defer out.Close()
	var off int64
	for _, p := range initrds {
		// Each archive starts 4-byte aligned: the kernel skips zero bytes
		// between archives but reads a header only at such an offset
		// ("invalid magic at start of compressed archive" otherwise).
		if pad := (4 - off%4) % 4; pad > 0 {
			if _, err := out.Write(make([]byte, pad)); err != nil {
				return "", "", err
			}
			off += pad
		}
		in, err := os.Open(p)
		if err != nil {
			return "", "", err
		}
		n, err := out.ReadFrom(in)
		in.Close()
		if err != nil {
			return "", "", err
		}
		off += n
	}
	return kernel, initrd, out.Close()
}

// pxeManifest reads the deploy archive manifest of a PXE folder.
func pxeManifest(dir string) (deployarchive.Manifest, error) {
	ms, _ := filepath.Glob(filepath.Join(dir, "*"+deployarchive.ManifestName))
	var newest deployarchive.Manifest
	var when time.Time
	var err error = fmt.Errorf("no %s in %s", deployarchive.ManifestName, dir)
	for _, p := range ms {
		m, rerr := readManifest(p)
		fi, serr := os.Stat(p)
		if rerr == nil && serr == nil && fi.ModTime().After(when) {
			newest, when, err = m, fi.ModTime(), nil
		}
	}
	return newest, err
}

func withVersion(paths []string, version string) []string {
	var out []string
	for _, p := range paths {
		if strings.Contains(filepath.Base(p), version) {
			out = append(out, p)
		}
	}
	return out
}

// pxeMachine is a PXE-style boot of the live system with kargs onto disk.
func pxeMachine(env *Env, name, kernel, initrd, disk string, kargs ...string) qemu.Config {
	c := env.machine(name, qemu.BIOS)
	c.Kernel, c.Initrd = kernel, initrd
	c.Append = joinKargs(append([]string{"console=ttyS0,115200n8"}, kargs...)...)
	c.NoReboot = true
	c.Net = true
	c.Drives = []qemu.Drive{{Path: disk, BootIndex: 1}}
	return c
}

// pxeRun boots c, an unattended PXE install (pxeMachine), until the install
// is done and the machine stops.
func pxeRun(ctx context.Context, env *Env, c qemu.Config) error {
	m, err := qemu.Start(ctx, env.Log, c)
	if err != nil {
		return err
	}
	defer m.Close()
	return runInstall(ctx, env, m)
}

// pxeInstallKargs are the kernel arguments of an unattended PXE install with
// the Ignition config at url.
func pxeInstallKargs(dev, url, hash string) []string {
	return []string{
		"altcos.inst.install_dev=" + dev,
		"altcos.inst.ignition_url=" + url,
		"altcos.inst.ignition_hash=" + hash,
		"altcos.inst.root_password_hash=" + rootPasswordHash,
		"altcos.inst.append_karg=" + serialKarg,
	}
}
