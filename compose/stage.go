package compose

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/altcos/altcos-tools/internal/run"
)

// stageArgs builds the argv that copies the OS tree src (a directory, or a
// tarball when !isDir) to dst, keeping owners, modes, hardlinks and xattrs
// (file capabilities).
func stageArgs(src string, isDir bool, dst string) []string {
	if isDir {
		return []string{"cp", "-a", "--reflink=auto", src + "/.", dst + "/"}
	}
	return []string{"tar", "-x", "-p", "--numeric-owner", "--xattrs", "--xattrs-include=*",
		"-f", src, "-C", dst}
}

// stageTree copies the tree into WorkDir/root (a temporary folder next to
// the repository when no WorkDir is given) and lays the OS files over it.
func stageTree(ctx context.Context, s *state) error {
	s.work = s.opts.WorkDir
	if s.work == "" {
		abs, err := filepath.Abs(s.opts.Repo)
		if err != nil {
			return err
		}
		if s.work, err = os.MkdirTemp(filepath.Dir(abs), ".compose-"); err != nil {
			return fmt.Errorf("make work directory: %w", err)
		}
		s.removeWork = true
	}
	s.root = filepath.Join(s.work, "root")
	if exists(s.root) {
		return fmt.Errorf("work directory %s already holds a tree (root/); remove it or give another --workdir", s.work)
	}
	if err := os.MkdirAll(s.root, 0o755); err != nil {
		return err
	}
	if err := run.Run(ctx, s.log, run.Cmd{Argv: stageArgs(s.opts.Tree, s.treeIsDir, s.root)}); err != nil {
		return fmt.Errorf("copy OS tree %s: %w", s.opts.Tree, err)
	}
	if s.opts.OSFiles == "" {
		return nil
	}
	return overlay(s.opts.OSFiles, s.root)
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

// hashOSFiles records the hash of the OS files, compared with the head's.
func hashOSFiles(_ context.Context, s *state) error {
	if s.opts.OSFiles == "" {
		return nil
	}
	var err error
	s.osfilesSum, err = osfilesHash(s.opts.OSFiles)
	return err
}

// osfilesHash is the sha256 of the OS files in dir as overlay lays them
// down (paths, kinds, canonical modes, contents, symlink targets), so a
// checkout's owners and mtimes do not change it.
func osfilesHash(dir string) (string, error) {
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
