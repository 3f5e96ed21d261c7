package compose

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/altcos/altcos-tools/internal/run"
)

// DracutModules are the dracut modules every ALTCOS initramfs carries:
// ostree (ostree-prepare-root), ignition (first boot), altcos (ours, from
// osfiles/: the Ignition config from the boot partition, boot drivers).
var DracutModules = []string{"ostree", "ignition", "altcos"}

// chrootScript runs a command chrooted into the tree "$1" inside a private
// mount namespace (unshare) with /proc, /sys, /dev, /run and /tmp mounted:
// the mounts vanish with the namespace, even when the command is killed, so
// nothing stays mounted in the work tree.
const chrootScript = `set -e; r=$1; shift
mount -t proc proc "$r/proc"
mount -t sysfs sysfs "$r/sys"
mount --rbind /dev "$r/dev"
mount -t tmpfs tmpfs "$r/run"
mount -t tmpfs tmpfs "$r/tmp"
exec chroot "$r" "$@"`

// chrootArgs builds the argv that runs argv inside the tree root.
func chrootArgs(root string, argv ...string) []string {
	return append([]string{"unshare", "--mount", "--propagation", "private", "--fork", "--",
		"sh", "-c", chrootScript, "sh", root}, argv...)
}

// dracutArgs builds the tree's dracut command line for kernel kver: not
// host-only (the image boots any machine), reproducible, with the
// DracutModules, written where ostree looks for it.
func dracutArgs(kver string) []string {
	return []string{"dracut", "--force", "--no-hostonly", "--reproducible",
		"--compress", "zstd", "--omit-drivers", strings.Join(dracutOmitDrivers, " "),
		"--kver", kver, "--add", strings.Join(DracutModules, " "),
		"/usr/lib/modules/" + kver + "/initramfs.img"}
}

// dracutOmitDrivers are filesystems an ALTCOS root never is (it is ext4 on
// a GPT disk, the ESP vfat): a generic kernel's non-host-only initramfs would
// carry them all (about 25 MiB of modules), and every boot unpacks them.
// zstd unpacks several times faster than dracut's default gzip.
var dracutOmitDrivers = []string{
	"btrfs", "xfs", "nfs", "nfsv2", "nfsv3", "nfsv4", "cifs", "ceph", "ocfs2", "gfs2", "jfs",
	"reiserfs", "nilfs2", "f2fs", "hfs", "hfsplus", "ufs", "ntfs3", "udf", "orangefs", "coda", "afs", "9p",
}

// buildInitramfs runs the tree's dracut for the tree's kernel in a chroot.
func buildInitramfs(ctx context.Context, s *state) error {
	root, kver := s.root, s.res.Kernel
	if err := run.Run(ctx, s.log, run.Cmd{Argv: chrootArgs(root, dracutArgs(kver)...), Env: s.env}); err != nil {
		return err
	}
	img := filepath.Join(root, "usr/lib/modules", kver, "initramfs.img")
	if !exists(img) {
		return fmt.Errorf("dracut wrote no %s", img)
	}
	// Not host-only: nothing secret in it. ostree copies it to /boot.
	return os.Chmod(img, 0o644)
}

// moveKernel puts the kernel under /usr/lib/modules/<kver>/vmlinuz and
// empties /boot (the boot partition is ostree's, filled at deploy time).
func moveKernel(_ context.Context, s *state) error {
	root, kver := s.root, s.res.Kernel
	dst := KernelPath(root, kver)
	if src := filepath.Join(root, "boot", "vmlinuz-"+kver); exists(src) {
		if err := os.Rename(src, dst); err != nil {
			return err
		}
	}
	if err := emptyDir(filepath.Join(root, "boot")); err != nil {
		return err
	}
	// Debian's /vmlinuz, /initrd.img (and .old) symlinks point into /boot.
	for _, l := range []string{"vmlinuz", "vmlinuz.old", "initrd.img", "initrd.img.old"} {
		p := filepath.Join(root, l)
		if st, err := os.Lstat(p); err == nil && st.Mode()&fs.ModeSymlink != 0 {
			if err := os.Remove(p); err != nil {
				return err
			}
		}
	}
	return nil
}

func emptyDir(dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range ents {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}
