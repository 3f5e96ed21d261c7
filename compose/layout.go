package compose

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/altcos/altcos-tools/altcos"
)

// The changes that make a package-built tree an ostree OS: the remote it
// upgrades from, no machine-local files, the ostree mount points, /etc in
// /usr/etc, nothing under the API filesystems. /var is var.go's.

// remoteConf is /etc/ostree/remotes.d/altcos.conf: the remote the installed
// system upgrades from (origin refspec altcos:altcos/<arch>/<stream>).
// signed: commits are signed, the keyring is at altcos.KeyringPath, and
// ostree refuses commits without a good signature from it.
func remoteConf(url string, signed bool) string {
	conf := "[remote \"" + altcos.RemoteName + "\"]\nurl=" + url + "\n"
	if signed {
		return conf + "gpg-verify=true\ngpgkeypath=" + altcos.KeyringPath + "\n"
	}
	return conf + "gpg-verify=false\n"
}

func writeRemote(_ context.Context, s *state) error {
	dir := filepath.Join(s.root, "etc/ostree/remotes.d")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, altcos.RemoteName+".conf"), []byte(remoteConf(s.opts.RemoteURL, s.opts.GPGKey != "")), 0o644)
}

// removeMachine removes what package installation made for the build
// machine and must differ per installed machine.
func removeMachine(_ context.Context, s *state) error {
	root := s.root
	keys, _ := filepath.Glob(filepath.Join(root, "etc/ssh/ssh_host_*"))
	for _, k := range keys {
		if err := os.Remove(k); err != nil {
			return err
		}
	}
	for _, f := range []string{"etc/hostname", "var/lib/dbus/machine-id"} {
		if err := os.Remove(filepath.Join(root, f)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	// An empty machine-id: systemd makes one on first boot.
	for _, f := range []string{"etc/machine-id", "etc/resolv.conf"} {
		p := filepath.Join(root, f)
		if st, err := os.Lstat(p); err == nil && st.Mode().IsRegular() {
			if err := os.WriteFile(p, nil, 0o444&st.Mode().Perm()|0o400); err != nil {
				return err
			}
		}
	}
	return nil
}

// mountPoints makes /sysroot (ostree-prepare-root mounts the physical
// root there) and /ostree -> sysroot/ostree (the repo and deployments as the
// running system sees them).
func mountPoints(_ context.Context, s *state) error {
	root := s.root
	for _, p := range []string{"sysroot", "ostree"} {
		if err := os.RemoveAll(filepath.Join(root, p)); err != nil {
			return err
		}
	}
	if err := os.Mkdir(filepath.Join(root, "sysroot"), 0o755); err != nil {
		return err
	}
	return os.Symlink("sysroot/ostree", filepath.Join(root, "ostree"))
}

func moveEtc(_ context.Context, s *state) error {
	root := s.root
	if exists(filepath.Join(root, "usr/etc")) {
		return errors.New("the tree already has /usr/etc; give a tree with its configuration in /etc")
	}
	return os.Rename(filepath.Join(root, "etc"), filepath.Join(root, "usr/etc"))
}

// emptyAPIDirs empties the directories the kernel and systemd mount over
// at run time, and removes special files anywhere (ostree commits files,
// directories and symlinks only).
func emptyAPIDirs(_ context.Context, s *state) error {
	root, log := s.root, s.log
	for _, d := range []string{"dev", "proc", "sys", "run", "tmp"} {
		if err := emptyDir(filepath.Join(root, d)); err != nil {
			return err
		}
	}
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		t := d.Type()
		if t&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeNamedPipe|fs.ModeSocket) != 0 {
			log.Info("special file removed", "path", strings.TrimPrefix(p, root))
			return os.Remove(p)
		}
		return nil
	})
}
