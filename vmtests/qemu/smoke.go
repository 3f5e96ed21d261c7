package qemu

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/u-root/u-root/pkg/cpio"

	"github.com/altcos/altcos-tools/internal/fsutil"
	"github.com/altcos/altcos-tools/internal/run"
)

// smokeMarker is what the smoke initramfs prints when its init runs. It is
// not on the kernel command line, so the kernel's own echo of its arguments
// cannot match it.
const smokeMarker = "ALTCOS-VMTEST-INIT-RAN"

// SmokeInitramfs writes a tiny initramfs to path: a static busybox (Debian's
// busybox-static, found at busybox) and an /init that prints smokeMarker and
// powers the machine off. It proves the driver without any ALTCOS artifact,
// and it is the KVM probe's payload.
func SmokeInitramfs(path, busybox string) error {
	bb, err := os.ReadFile(busybox)
	if err != nil {
		return fmt.Errorf("read busybox for the smoke initramfs: %w (install busybox-static)", err)
	}
	init := "#!/bin/busybox sh\n" +
		"/bin/busybox mkdir -p /proc\n" +
		"/bin/busybox mount -t proc proc /proc\n" +
		"echo \"" + smokeMarker + " kernel $(/bin/busybox uname -r)\"\n" +
		"/bin/busybox poweroff -f\n"
	recs := []cpio.Record{
		cpio.Directory("bin", 0o755),
		cpio.Directory("dev", 0o755),
		cpio.CharDev("dev/console", 0o600, 5, 1),
		cpio.StaticRecord(bb, cpio.Info{Name: "bin/busybox", Mode: cpio.S_IFREG | 0o755}),
		cpio.Symlink("bin/sh", "busybox"),
		cpio.StaticFile("init", init, 0o755),
	}
	return fsutil.WriteAtomic(path, 0o644, func(f io.Writer) error {
		w := cpio.Newc.Writer(f)
		if err := cpio.WriteRecordsAndDirs(w, recs); err != nil {
			return fmt.Errorf("write smoke initramfs: %w", err)
		}
		if err := cpio.WriteTrailer(w); err != nil {
			return fmt.Errorf("write smoke initramfs: %w", err)
		}
		return nil
	})
}

// DebianKernel returns a Debian cloud kernel (vmlinuz) cached under dir,
// fetching it with apt-get download and dpkg -x the first time. The cloud
// flavour has the serial console and virtio built in or as modules, and boots
// in a few seconds under TCG.
func DebianKernel(ctx context.Context, log *slog.Logger, dir string) (string, error) {
	if k, _ := filepath.Glob(filepath.Join(dir, "x/boot/vmlinuz-*-cloud-amd64")); len(k) > 0 {
		return k[0], nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	out, err := run.Output(ctx, log, run.Cmd{Argv: []string{"apt-cache", "depends", "linux-image-cloud-amd64"}})
	if err != nil {
		return "", fmt.Errorf("find the Debian cloud kernel package: %w", err)
	}
	pkg := ""
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "Depends:" && strings.HasPrefix(f[1], "linux-image-") {
			pkg = f[1]
		}
	}
	if pkg == "" {
		return "", fmt.Errorf("no kernel package in `apt-cache depends linux-image-cloud-amd64`; run apt-get update")
	}
	if err := run.Run(ctx, log, run.Cmd{Argv: []string{"apt-get", "download", pkg}, Dir: dir}); err != nil {
		return "", fmt.Errorf("download %s: %w", pkg, err)
	}
	debs, _ := filepath.Glob(filepath.Join(dir, pkg+"_*.deb"))
	if len(debs) == 0 {
		return "", fmt.Errorf("download %s: no .deb in %s", pkg, dir)
	}
	if err := run.Run(ctx, log, run.Cmd{Argv: []string{"dpkg", "-x", debs[0], filepath.Join(dir, "x")}}); err != nil {
		return "", fmt.Errorf("unpack %s: %w", debs[0], err)
	}
	k, _ := filepath.Glob(filepath.Join(dir, "x/boot/vmlinuz-*-cloud-amd64"))
	if len(k) == 0 {
		return "", fmt.Errorf("unpack %s: no vmlinuz in it", debs[0])
	}
	return k[0], nil
}

// SmokeBoot boots kernel with the smoke initramfs under accel and waits for
// smokeMarker, at most timeout; QEMU is killed when the time is up. It is the
// driver's own test and, with kvm and a short timeout, the KVM probe.
func SmokeBoot(ctx context.Context, log *slog.Logger, outDir, name, accel, kernel, initramfs string, timeout time.Duration) (time.Duration, error) {
	m, err := Start(ctx, log, Config{
		Name: name, OutDir: outDir, Accel: accel, MemoryMiB: 256,
		Kernel: kernel, Initrd: initramfs, Append: "console=ttyS0 panic=-1 quiet",
		NoReboot: true, Timeout: timeout + 5*time.Second,
	})
	if err != nil {
		return 0, err
	}
	defer m.Close()
	start := time.Now()
	if _, err := m.Expect(ctx, "boot the smoke initramfs", timeout, []string{smokeMarker}, "Kernel panic"); err != nil {
		return 0, err
	}
	took := time.Since(start)
	if err := m.Wait(ctx, 10*time.Second); err != nil {
		return took, err
	}
	return took, nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
