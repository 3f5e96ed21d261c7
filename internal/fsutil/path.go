package fsutil

import (
	"fmt"
	"os"
	"path/filepath"
)

// WriteAtomicPath is WriteAtomic for a program that writes the file itself
// by name (xorriso, qemu-img): write gets a path in dst's folder where no
// file is yet (xorriso refuses to overwrite a file that is not an ISO). The
// file write leaves there is synced, given perm and renamed over dst. On
// any error the temporary file is removed and dst is left as it was.
func WriteAtomicPath(dst string, perm os.FileMode, write func(tmp string) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", dst, err)
	}
	tmp := f.Name()
	f.Close()
	os.Remove(tmp) // the name stays unique enough: CreateTemp's random part
	defer func() {
		if err != nil {
			os.Remove(tmp)
			err = fmt.Errorf("write %s: %w", dst, err)
		}
	}()
	if err = write(tmp); err != nil {
		return err
	}
	if f, err = os.Open(tmp); err != nil {
		return err
	}
	err = f.Chmod(perm)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}
