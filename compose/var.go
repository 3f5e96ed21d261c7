package compose

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

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
// (d) and symlinks (L). Files are dropped. The package database moves to /usr.
func varToTmpfiles(_ context.Context, s *state) error {
	root, log := s.root, s.log
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

	// The package database is part of the OS (which packages it has), not
	// machine data: keep it in /usr, and a link where its tool looks for it.
	for _, db := range packageDBs {
		src := filepath.Join(root, db.dir)
		if !exists(src) {
			continue
		}
		dst := filepath.Join(root, db.usrDir)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.Rename(src, dst); err != nil {
			return err
		}
		add("L /"+db.dir+" - - - - /"+db.usrDir, "/"+db.dir)
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
		if n == userName {
			gid := id
			for g, gn := range gids {
				if gn == userName {
					gid = g
				}
			}
			add(fmt.Sprintf("d %s 0700 %d %d - -", userHome, id, gid), userHome)
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
