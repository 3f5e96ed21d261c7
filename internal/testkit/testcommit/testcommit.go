// Package testcommit makes a small, real ostree commit for tier-1 tests of
// the sysroot, deploy archive and installer code: a tree with busybox, a
// fake kernel and initramfs under /usr/lib/modules/<kver>/, /usr/etc with a
// shadow file, os-release, and this host's GRUB modules under /usr/lib/grub,
// committed on altcos/x86_64/sisyphus with an ALTCOS version. It stands in for
// the 500 MB test OS where the test is about disks, not about booting.
package testcommit

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/altcos/altcos-tools/internal/run"
	"golang.org/x/sys/unix"
)

// Ref, Version and KernelVersion of the commit Make writes.
const (
	Ref           = "altcos/x86_64/sisyphus"
	Version       = "sisyphus.20261125.0.0"
	KernelVersion = "6.1.0-test-amd64"
	IgnitionSpec  = "3.3.0"
)

// Tools are the programs Make needs.
var Tools = []string{"ostree", "busybox"}

// Make writes a tree under dir/tree and commits it into the archive repo
// dir/repo; it returns the repo path and the commit checksum.
func Make(ctx context.Context, dir string) (repo, commit string, err error) {
	tree := filepath.Join(dir, "tree")
	repo = filepath.Join(dir, "repo")
	kdir := filepath.Join(tree, "usr/lib/modules", KernelVersion)
	for _, d := range []string{kdir, "usr/etc/ostree/remotes.d", "usr/bin", "usr/lib/grub", "usr/lib/ostree"} {
		if !filepath.IsAbs(d) {
			d = filepath.Join(tree, d)
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", "", err
		}
	}
	files := map[string]string{
		filepath.Join(kdir, "vmlinuz"):         "not a kernel\n",
		filepath.Join(kdir, "initramfs.img"):   "not an initramfs\n",
		"usr/lib/os-release":                   "ID=altcos\nNAME=\"ALT Container OS\"\nPRETTY_NAME=\"ALT Container OS (test)\"\n",
		"usr/etc/shadow":                       "root:*:20000:0:99999:7:::\ndaemon:*:20000:0:99999:7:::\naltcos:!:20000:0:99999:7:::\n",
		"usr/etc/passwd":                       "root:x:0:0:root:/root:/bin/sh\n",
		"usr/etc/hostname":                     "altcos\n",
		"usr/etc/ostree/remotes.d/altcos.conf": "[remote \"altcos\"]\nurl=http://10.0.2.2:8080/repo\ngpg-verify=false\n",
	}
	for p, c := range files {
		if !filepath.IsAbs(p) {
			p = filepath.Join(tree, p)
		}
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			return "", "", err
		}
	}
	if err := os.Chmod(filepath.Join(tree, "usr/etc/shadow"), 0o640); err != nil {
		return "", "", err
	}
	if err := os.Symlink("../usr/lib/os-release", filepath.Join(tree, "usr/etc/os-release")); err != nil {
		return "", "", err
	}
	bb, err := exec.LookPath(run.Path("busybox"))
	if err != nil {
		return "", "", fmt.Errorf("busybox: %w", err)
	}
	if err := run.Run(ctx, nil, run.Cmd{Argv: []string{"cp", bb, filepath.Join(tree, "usr/bin/busybox")}}); err != nil {
		return "", "", err
	}
	for _, p := range []string{"i386-pc", "x86_64-efi"} {
		if err := run.Run(ctx, nil, run.Cmd{Argv: []string{"cp", "-a", "/usr/lib/grub/" + p, filepath.Join(tree, "usr/lib/grub/")}}); err != nil {
			return "", "", fmt.Errorf("copy host GRUB modules: %w", err)
		}
	}
	if err := run.Run(ctx, nil, run.Cmd{Argv: []string{"ostree", "init", "--repo=" + repo, "--mode=archive"}}); err != nil {
		return "", "", err
	}
	out, err := run.Output(ctx, nil, run.Cmd{Argv: []string{"ostree", "commit", "--repo=" + repo, "--branch=" + Ref,
		"--owner-uid=0", "--owner-gid=0", "--add-metadata-string=version=" + Version,
		"--add-metadata-string=altcos.ignition-spec=" + IgnitionSpec, "--tree=dir=" + tree}})
	if err != nil {
		return "", "", err
	}
	commit = string(out)
	for len(commit) > 0 && (commit[len(commit)-1] == '\n') {
		commit = commit[:len(commit)-1]
	}
	return repo, commit, nil
}

// ClearImmutable removes the immutable flag ostree sets on deployment roots
// under dir, so that a test's temporary directory can be removed. Call it
// from t.Cleanup registered after t.TempDir.
func ClearImmutable(dir string) {
	deploys, _ := filepath.Glob(filepath.Join(dir, "*", "ostree/deploy/*/deploy/*"))
	more, _ := filepath.Glob(filepath.Join(dir, "ostree/deploy/*/deploy/*"))
	for _, d := range append(deploys, more...) {
		f, err := os.Open(d)
		if err != nil {
			continue
		}
		if flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS); err == nil && flags&fsImmutable != 0 {
			unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags&^fsImmutable))
		}
		f.Close()
	}
}

const fsImmutable = 0x10 // FS_IMMUTABLE_FL
