// Package fsutil holds the file-system helpers every tool repeats: writing a
// file so that readers see either the old or the whole new contents, never a
// half-written one.
package fsutil

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WriteAtomic writes dst through fill: into a temporary file in dst's
// folder, synced, given perm, then renamed over dst. On any error the
// temporary file is removed and dst is left as it was.
func WriteAtomic(dst string, perm os.FileMode, fill func(w io.Writer) error) error {
	return WriteAtomicFile(dst, perm, func(f *os.File) error { return fill(f) })
}

// WriteAtomicFile is WriteAtomic for a fill that needs the temporary file
// itself (its name, to have a tool check what was written before it takes
// dst's name).
func WriteAtomicFile(dst string, perm os.FileMode, fill func(f *os.File) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", dst, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			err = fmt.Errorf("write %s: %w", dst, err)
		}
	}()
	if err = fill(f); err != nil {
		return err
	}
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), dst)
}

// WriteFileAtomic is WriteAtomic of the bytes b.
func WriteFileAtomic(dst string, b []byte, perm os.FileMode) error {
	return WriteAtomic(dst, perm, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}
