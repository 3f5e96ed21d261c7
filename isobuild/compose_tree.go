package isobuild

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/altcos/altcos-tools/internal/run"
)

// StageArgs builds the argv that copies the OS tree src (a directory, or a
// tarball when !isDir) to dst, keeping owners, modes, hardlinks and xattrs
// (file capabilities).
func StageArgs(src string, isDir bool, dst string) []string {
	if isDir {
		return []string{"cp", "-a", "--reflink=auto", src + "/.", dst + "/"}
	}
	return []string{"tar", "-x", "-p", "--numeric-owner", "--xattrs", "--xattrs-include=*",
		"-f", src, "-C", dst}
}

func stageTree(ctx context.Context, log *slog.Logger, src string, isDir bool, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	if err := run.Run(ctx, log, run.Cmd{Argv: StageArgs(src, isDir, dst)}); err != nil {
		return fmt.Errorf("copy OS tree %s: %w", src, err)
	}
	return nil
}

// overlay copies the OS files src over root with canonical metadata: owner
// root, directories and executables 0755, other files 0644, symlinks as they
// are. Canonical because a git checkout's owners, umask and mtimes must not
// change the commit.
func overlay(src, root string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil || rel == "." {
			return err
		}
		dst, err := resolveInRoot(root, rel)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			if st, err := os.Stat(dst); err == nil && st.IsDir() {
				return nil // keep the tree's directory as it is
			}
			if err := os.Mkdir(dst, 0o755); err != nil {
				return fmt.Errorf("overlay %s: %w", rel, err)
			}
			return os.Chown(dst, 0, 0)
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			_ = os.Remove(dst)
			if err := os.Symlink(target, dst); err != nil {
				return fmt.Errorf("overlay %s: %w", rel, err)
			}
			return os.Lchown(dst, 0, 0)
		case info.Mode().IsRegular():
			mode := os.FileMode(0o644)
			if info.Mode()&0o111 != 0 {
				mode = 0o755
			}
			return copyFile(p, dst, mode)
		}
		return fmt.Errorf("overlay %s: not a file, directory or symlink", p)
	})
}

// HashOSFiles is the sha256 of the OS files in dir as overlay lays them
// down (paths, kinds, canonical modes, contents, symlink targets), so a
// checkout's owners and mtimes do not change it.
func HashOSFiles(dir string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			fmt.Fprintf(h, "d %s\x00", rel)
		case info.Mode()&fs.ModeSymlink != 0:
			t, err := os.Readlink(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "l %s %s\x00", rel, t)
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "f %s %t %d\x00", rel, info.Mode()&0o111 != 0, len(b))
			h.Write(b)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hash OS files %s: %w", dir, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// resolveInRoot maps rel (a path inside the OS) to a host path under root,
// following the tree's symlinks in the directory part relative to root
// (e.g. Debian's /lib -> usr/lib), never out of root.
func resolveInRoot(root, rel string) (string, error) {
	dir, base := filepath.Split(filepath.Clean(rel))
	cur := root
	hops := 0
	parts := strings.Split(strings.Trim(dir, "/"), "/")
	for i := 0; i < len(parts); i++ {
		part := parts[i]
		if part == "" || part == "." {
			continue
		}
		next := filepath.Join(cur, part)
		target, err := os.Readlink(next)
		if err != nil {
			cur = next
			continue
		}
		if hops++; hops > 40 {
			return "", fmt.Errorf("too many symlinks under %s resolving %s", root, rel)
		}
		var rest []string
		if filepath.IsAbs(target) {
			rest = strings.Split(strings.Trim(target, "/"), "/")
			cur = root
		} else {
			rel2, err := filepath.Rel(root, filepath.Join(cur, target))
			if err != nil || strings.HasPrefix(rel2, "..") {
				return "", fmt.Errorf("symlink %s points out of the tree", next)
			}
			rest = strings.Split(rel2, "/")
			cur = root
		}
		parts = append(rest, parts[i+1:]...)
		i = -1
	}
	return filepath.Join(cur, base), nil
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	_ = os.Remove(dst)
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	if err := os.Chmod(dst, mode); err != nil {
		return err
	}
	return os.Chown(dst, 0, 0)
}

// findKernel returns the version of the tree's one kernel: a vmlinuz in
// /usr/lib/modules/<kver>/ or /boot/vmlinuz-<kver> with /usr/lib/modules/<kver>.
func findKernel(root string) (string, error) {
	kvers := map[string]bool{}
	mods, _ := filepath.Glob(filepath.Join(root, "usr/lib/modules/*/vmlinuz"))
	for _, m := range mods {
		kvers[filepath.Base(filepath.Dir(m))] = true
	}
	boots, _ := filepath.Glob(filepath.Join(root, "boot/vmlinuz-*"))
	for _, b := range boots {
		if st, err := os.Lstat(b); err != nil || !st.Mode().IsRegular() {
			continue
		}
		kver := strings.TrimPrefix(filepath.Base(b), "vmlinuz-")
		if st, err := os.Stat(filepath.Join(root, "usr/lib/modules", kver)); err != nil || !st.IsDir() {
			return "", fmt.Errorf("kernel /boot/vmlinuz-%s has no modules in /usr/lib/modules/%s", kver, kver)
		}
		kvers[kver] = true
	}
	list := make([]string, 0, len(kvers))
	for k := range kvers {
		list = append(list, k)
	}
	sort.Strings(list)
	switch len(list) {
	case 0:
		return "", errors.New("no kernel (no /boot/vmlinuz-<kver> or /usr/lib/modules/<kver>/vmlinuz); install a kernel package")
	case 1:
		return list[0], nil
	}
	return "", fmt.Errorf("%d kernels (%s); an ALTCOS commit boots one kernel, remove the others", len(list), strings.Join(list, ", "))
}

// checkDracut checks that the tree has dracut and the DracutModules, each
// in the tree or in one of the overlays (the project's osfiles/).
func checkDracut(root string, overlays ...string) error {
	if !exists(filepath.Join(root, "usr/bin/dracut")) && !exists(filepath.Join(root, "usr/sbin/dracut")) {
		return errors.New("no dracut (/usr/bin/dracut); install dracut")
	}
	hints := map[string]string{
		"ostree":   "install ostree-boot (Debian) or ostree (ALT)",
		"ignition": "install ignition",
		"altcos":   "compose with the project's osfiles/ (--osfiles)",
	}
	for _, m := range DracutModules {
		var found []string
		for _, r := range append([]string{root}, overlays...) {
			if r != "" {
				f, _ := filepath.Glob(filepath.Join(r, "usr/lib/dracut/modules.d/[0-9][0-9]"+m))
				found = append(found, f...)
			}
		}
		if len(found) == 0 {
			return fmt.Errorf("no dracut module %s (/usr/lib/dracut/modules.d/NN%s); %s", m, m, hints[m])
		}
	}
	return nil
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// The user ALTCOS ships, and its groups (wheel: sudo; docker: the container
// engine's socket group).
const (
	UserName = "altcos"
	UserHome = "/var/home/altcos"
)

// UserArgs builds the argv (host shadow tools working on the tree's
// /etc with --root) that create the groups and the user altcos, or only add
// it to the groups when the tree already has it.
func UserArgs(root string, haveGroups map[string]bool, haveUser bool) [][]string {
	var cmds [][]string
	for _, g := range []string{"wheel", "docker"} {
		if !haveGroups[g] {
			cmds = append(cmds, []string{"groupadd", "--root", root, "--system", g})
		}
	}
	if haveUser {
		return append(cmds, []string{"usermod", "--root", root, "--append", "--groups", "wheel,docker", UserName})
	}
	return append(cmds, []string{"useradd", "--root", root, "--user-group", "--groups", "wheel,docker",
		"--home-dir", UserHome, "--no-create-home", "--shell", "/bin/bash",
		"--comment", "ALTCOS user", UserName})
}

func addUser(ctx context.Context, log *slog.Logger, root string, env []string) error {
	groups, err := dbNames(filepath.Join(root, "etc/group"))
	if err != nil {
		return err
	}
	users, err := dbNames(filepath.Join(root, "etc/passwd"))
	if err != nil {
		return err
	}
	for _, argv := range UserArgs(root, groups, users[UserName]) {
		if err := run.Run(ctx, log, run.Cmd{Argv: argv, Env: env}); err != nil {
			return err
		}
	}
	// The shadow tools leave backups (passwd-, group-, ...) of the
	// pre-compose files; they are not part of the OS.
	for _, f := range []string{"passwd-", "group-", "shadow-", "gshadow-", "subuid-", "subgid-"} {
		_ = os.Remove(filepath.Join(root, "etc", f))
	}
	return nil
}

// dbNames returns the first fields of a passwd(5)/group(5) file.
func dbNames(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	names := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if name, _, ok := strings.Cut(sc.Text(), ":"); ok && name != "" {
			names[name] = true
		}
	}
	return names, sc.Err()
}

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

// ChrootArgs builds the argv that runs argv inside the tree root.
func ChrootArgs(root string, argv ...string) []string {
	return append([]string{"unshare", "--mount", "--propagation", "private", "--fork", "--",
		"sh", "-c", chrootScript, "sh", root}, argv...)
}

// DracutArgs builds the tree's dracut command line for kernel kver: not
// host-only (the image boots any machine), reproducible, with the
// DracutModules, written where ostree looks for it.
func DracutArgs(kver string) []string {
	return []string{"dracut", "--force", "--no-hostonly", "--reproducible",
		"--kver", kver, "--add", strings.Join(DracutModules, " "),
		"/usr/lib/modules/" + kver + "/initramfs.img"}
}

func buildInitramfs(ctx context.Context, log *slog.Logger, root, kver string, env []string) error {
	if err := run.Run(ctx, log, run.Cmd{Argv: ChrootArgs(root, DracutArgs(kver)...), Env: env}); err != nil {
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
func moveKernel(root, kver string) error {
	dst := filepath.Join(root, "usr/lib/modules", kver, "vmlinuz")
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

// OSRelease renders /usr/lib/os-release for version v; base is the tree's
// original os-release, whose ID becomes ID_LIKE.
func OSRelease(v Version, base map[string]string) string {
	like := strings.TrimSpace(base["ID"] + " " + base["ID_LIKE"])
	lines := []string{
		`NAME="ALT Container OS"`,
		`ID=altcos`,
	}
	if like != "" {
		lines = append(lines, fmt.Sprintf("ID_LIKE=%q", like))
	}
	lines = append(lines,
		fmt.Sprintf("VERSION=%q", v.String()),
		"VERSION_ID="+v.String(),
		"OSTREE_VERSION="+v.String(),
		`VARIANT="Container OS"`,
		`VARIANT_ID=altcos`,
		fmt.Sprintf("PRETTY_NAME=%q", "ALT Container OS "+v.String()),
		"ALTCOS_STREAM="+v.Stream,
		`HOME_URL="https://www.altlinux.org/ALTCOS"`,
	)
	return strings.Join(lines, "\n") + "\n"
}

// ParseOSRelease reads KEY=value lines of an os-release file (quotes removed).
func ParseOSRelease(s string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		k, v, ok := strings.Cut(l, "=")
		if !ok || strings.HasPrefix(l, "#") {
			continue
		}
		m[k] = strings.Trim(v, `"'`)
	}
	return m
}

func writeOSRelease(root string, v Version, stream string) error {
	lib := filepath.Join(root, "usr/lib/os-release")
	base := map[string]string{}
	for _, p := range []string{lib, filepath.Join(root, "etc/os-release")} {
		if b, err := os.ReadFile(p); err == nil {
			base = ParseOSRelease(string(b))
			break
		}
	}
	_ = os.Remove(lib)
	if err := os.WriteFile(lib, []byte(OSRelease(v, base)), 0o644); err != nil {
		return err
	}
	etc := filepath.Join(root, "etc/os-release")
	_ = os.Remove(etc)
	return os.Symlink("../usr/lib/os-release", etc)
}

// RemoteConf is /etc/ostree/remotes.d/altcos.conf: the remote the installed
// system upgrades from (origin refspec altcos:altcos/<arch>/<stream>).
func RemoteConf(url string) string {
	return "[remote \"altcos\"]\nurl=" + url + "\ngpg-verify=false\n"
}

func writeRemote(root, url string) error {
	dir := filepath.Join(root, "etc/ostree/remotes.d")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "altcos.conf"), []byte(RemoteConf(url)), 0o644)
}

// removeMachineLocal removes what package installation made for the build
// machine and must differ per installed machine.
func removeMachineLocal(root string) error {
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

// ostreeMountPoints makes /sysroot (ostree-prepare-root mounts the physical
// root there) and /ostree -> sysroot/ostree (the repo and deployments as the
// running system sees them).
func ostreeMountPoints(root string) error {
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

func moveEtc(root string) error {
	if exists(filepath.Join(root, "usr/etc")) {
		return errors.New("the tree already has /usr/etc; give a tree with its configuration in /etc")
	}
	return os.Rename(filepath.Join(root, "etc"), filepath.Join(root, "usr/etc"))
}

// varLinks are the top-level directories that hold machine data and so live
// in /var on ALTCOS; the OS has symlinks in their place.
var varLinks = []struct{ path, target, varDir string }{
	{"home", "var/home", "home"},
	{"opt", "var/opt", "opt"},
	{"srv", "var/srv", "srv"},
	{"root", "var/roothome", "roothome"},
	{"mnt", "var/mnt", "mnt"},
	{"usr/local", "../var/usrlocal", "usrlocal"},
}

// varToTmpfiles empties /var (and the varLinks directories), writing what
// they held as tmpfiles.d lines so systemd recreates it at boot: directories
// (d) and symlinks (L). Files are dropped. The dpkg database moves to /usr.
func varToTmpfiles(root string, log *slog.Logger) error {
	known, err := knownTmpfiles(root)
	if err != nil {
		return err
	}
	var lines []string
	add := func(l string, path string) {
		if !known[path] {
			lines = append(lines, l)
			known[path] = true
		}
	}
	uids, err := dbIDs(filepath.Join(root, "usr/etc/passwd"))
	if err != nil {
		return err
	}
	gids, err := dbIDs(filepath.Join(root, "usr/etc/group"))
	if err != nil {
		return err
	}

	// The dpkg database is part of the OS (which packages it has), not
	// machine data: keep it in /usr, and where dpkg looks for it.
	if admin := filepath.Join(root, DpkgAdminDir); exists(admin) {
		dst := filepath.Join(root, DpkgDBDir)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.Rename(admin, dst); err != nil {
			return err
		}
		add("L /"+DpkgAdminDir+" - - - - /"+DpkgDBDir, "/"+DpkgAdminDir)
	}

	dropped := 0
	walk := func(src, dst string) error {
		return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(src, p)
			target := filepath.Join(dst, rel)
			if target == "/var" {
				return nil // the commit has /var itself
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			st := info.Sys().(*syscall.Stat_t)
			switch {
			case d.IsDir():
				add(fmt.Sprintf("d %s %04o %s %s - -", target, unixMode(info.Mode()),
					name(uids, st.Uid), name(gids, st.Gid)), target)
			case info.Mode()&fs.ModeSymlink != 0:
				t, err := os.Readlink(p)
				if err != nil {
					return err
				}
				add(fmt.Sprintf("L %s - - - - %s", target, t), target)
			default:
				dropped++
			}
			return nil
		})
	}
	if err := walk(filepath.Join(root, "var"), "/var"); err != nil {
		return err
	}
	if err := emptyDir(filepath.Join(root, "var")); err != nil {
		return err
	}
	for _, l := range varLinks {
		p := filepath.Join(root, l.path)
		if st, err := os.Lstat(p); err == nil && st.IsDir() {
			if err := walk(p, "/var/"+l.varDir); err != nil {
				return err
			}
			if err := os.RemoveAll(p); err != nil {
				return err
			}
		} else if err == nil {
			if err := os.Remove(p); err != nil {
				return err
			}
		} else {
			add(fmt.Sprintf("d /var/%s 0755 root root - -", l.varDir), "/var/"+l.varDir)
		}
		if err := os.Symlink(l.target, p); err != nil {
			return err
		}
	}
	// The home of the user altcos, so that Ignition (which runs before
	// systemd-tmpfiles of the real system) can write its SSH keys there.
	// Numeric ids: the initramfs resolves no names of the OS.
	for id, n := range uids {
		if n == UserName {
			gid := id
			for g, gn := range gids {
				if gn == UserName {
					gid = g
				}
			}
			add(fmt.Sprintf("d %s 0700 %d %d - -", UserHome, id, gid), UserHome)
		}
	}
	if dropped > 0 {
		log.Info("files in /var dropped (machine data, recreated at run time)", "count", dropped)
	}
	conf := "# Made by altcos-build compose: what /var held in the OS tree.\n" + strings.Join(lines, "\n") + "\n"
	dir := filepath.Join(root, "usr/lib/tmpfiles.d")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "altcos-var.conf"), []byte(conf), 0o644)
}

// knownTmpfiles returns the paths the tree's tmpfiles.d already manage, so
// the generated file does not repeat them (systemd warns on duplicates).
func knownTmpfiles(root string) (map[string]bool, error) {
	known := map[string]bool{}
	files, _ := filepath.Glob(filepath.Join(root, "usr/lib/tmpfiles.d/*.conf"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for _, l := range strings.Split(string(b), "\n") {
			fields := strings.Fields(l)
			if len(fields) >= 2 && !strings.HasPrefix(fields[0], "#") {
				known[fields[1]] = true
			}
		}
	}
	return known, nil
}

// dbIDs maps the numeric ids of a passwd/group file to names.
func dbIDs(path string) (map[uint32]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	ids := map[uint32]string{}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Split(l, ":")
		if len(f) < 3 {
			continue
		}
		var id uint32
		if _, err := fmt.Sscanf(f[2], "%d", &id); err == nil {
			if _, dup := ids[id]; !dup {
				ids[id] = f[0]
			}
		}
	}
	return ids, nil
}

// unixMode is the octal mode of m with its set-id and sticky bits.
func unixMode(m fs.FileMode) uint32 {
	u := uint32(m.Perm())
	if m&fs.ModeSticky != 0 {
		u |= 0o1000
	}
	if m&fs.ModeSetgid != 0 {
		u |= 0o2000
	}
	if m&fs.ModeSetuid != 0 {
		u |= 0o4000
	}
	return u
}

func name(names map[uint32]string, id uint32) string {
	if n, ok := names[id]; ok {
		return n
	}
	return fmt.Sprint(id)
}

// emptyAPIDirs empties the directories the kernel and systemd mount over
// at run time, and removes special files anywhere (ostree commits files,
// directories and symlinks only).
func emptyAPIDirs(root string, log *slog.Logger) error {
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
