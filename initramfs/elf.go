package initramfs

import (
	"debug/elf"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// libDirs are where the dynamic loader of a glibc x86_64 system looks by
// default (Debian's multiarch dirs and the lib64 dirs ALT uses).
var libDirs = []string{
	"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib",
}

// inRoot resolves p (absolute, as seen inside root) to a host path, following
// symlinks inside root: an absolute link target is taken relative to root,
// never to the build host, so /lib -> usr/lib of an OS tree stays in the tree.
func inRoot(root, p string) (string, error) {
	rest := strings.Split(strings.Trim(path.Clean("/"+p), "/"), "/")
	cur := "/"
	for hops := 0; len(rest) > 0; {
		c := rest[0]
		rest = rest[1:]
		if c == "" || c == "." {
			continue
		}
		if c == ".." {
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, c)
		fi, err := os.Lstat(filepath.Join(root, next))
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		if hops++; hops > 40 {
			return "", fmt.Errorf("%s: too many symlinks", p)
		}
		target, err := os.Readlink(filepath.Join(root, next))
		if err != nil {
			return "", err
		}
		if path.IsAbs(target) {
			cur = "/"
		}
		rest = append(strings.Split(strings.Trim(target, "/"), "/"), rest...)
	}
	return filepath.Join(root, cur), nil
}

// FileMap is archive path (relative, no leading slash) -> host path.
type FileMap map[string]string

// AddProgram adds the program at path p of root (resolved inside root) to m
// at archive path as, with its ELF interpreter and the shared libraries it
// needs, found in root's default library dirs. Static programs bring nothing
// else. The libraries land at the path they were found at, where the loader
// looks for them.
func AddProgram(m FileMap, root, p, as string) error {
	host, err := inRoot(root, p)
	if err != nil {
		return fmt.Errorf("program %s in %s: %w", p, root, err)
	}
	m[strings.TrimPrefix(as, "/")] = host
	return addLibs(m, root, host, map[string]bool{})
}

func addLibs(m FileMap, root, host string, done map[string]bool) error {
	f, err := elf.Open(host)
	if err != nil {
		return fmt.Errorf("read ELF %s: %w", host, err)
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type != elf.PT_INTERP {
			continue
		}
		b := make([]byte, prog.Filesz)
		if _, err := prog.ReadAt(b, 0); err != nil {
			return fmt.Errorf("read interpreter of %s: %w", host, err)
		}
		interp := strings.TrimRight(string(b), "\x00")
		h, err := inRoot(root, interp)
		if err != nil {
			return fmt.Errorf("interpreter %s of %s: %w", interp, host, err)
		}
		m[strings.TrimPrefix(interp, "/")] = h
	}
	needed, err := f.ImportedLibraries()
	if err != nil && !errors.Is(err, elf.ErrNoSymbols) {
		return fmt.Errorf("libraries of %s: %w", host, err)
	}
	for _, lib := range needed {
		if done[lib] {
			continue
		}
		done[lib] = true
		found := false
		for _, dir := range libDirs {
			h, err := inRoot(root, path.Join(dir, lib))
			if err != nil {
				continue
			}
			m[strings.TrimPrefix(path.Join(dir, lib), "/")] = h
			if err := addLibs(m, root, h, done); err != nil {
				return err
			}
			found = true
			break
		}
		if !found {
			return fmt.Errorf("library %s needed by %s is in none of %s under %s", lib, host, strings.Join(libDirs, " "), root)
		}
	}
	return nil
}
