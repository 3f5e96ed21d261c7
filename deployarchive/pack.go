package deployarchive

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/klauspost/compress/zstd"
	"golang.org/x/sys/unix"
)

// Entry name prefixes inside the tar stream: what goes onto the boot
// partition (the sysroot's /boot) and what goes onto the root partition
// (everything else). Keeping them apart in one stream lets the installer
// write both filesystems in one sequential pass.
const (
	BootPrefix = "boot/"
	RootPrefix = "root/"
)

// xattrPrefix is how archive/tar carries extended attributes in PAX records.
const xattrPrefix = "SCHILY.xattr."

// Sizes are the unpacked sizes of the two parts of a sysroot, counted as
// the bytes of regular files (each hardlinked inode once) plus one 4 KiB
// block per directory, symlink and file: a floor for the filesystem size.
type Sizes struct {
	RootBytes int64
	BootBytes int64
}

type inodeKey struct {
	dev, ino uint64
	boot     bool
}

// Pack writes the sysroot at dir as one tar+zstd stream to w. The content of
// dir/boot becomes entries under BootPrefix, everything else entries under
// RootPrefix (with an empty root/boot directory as the mount point).
// Hardlinks, owners, modes and extended attributes are kept; a hardlink whose
// other names sit on the other partition is stored as a regular file, since
// a link cannot cross filesystems. mtime, when not zero, is clamped to it
// (SOURCE_DATE_EPOCH) so that the same sysroot packs to the same bytes.
func Pack(ctx context.Context, w io.Writer, dir string, mtime time.Time) (Sizes, error) {
	var sz Sizes
	zw, err := zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedDefault))
	if err != nil {
		return sz, fmt.Errorf("zstd: %w", err)
	}
	tw := tar.NewWriter(zw)
	seen := map[inodeKey]string{}
	buf := make([]byte, 1<<20)
	walkErr := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		var name string
		boot := false
		switch {
		case rel == "boot":
			name = RootPrefix + "boot"
		case strings.HasPrefix(rel, "boot/"):
			name = BootPrefix + strings.TrimPrefix(rel, "boot/")
			boot = true
		default:
			name = RootPrefix + rel
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return fmt.Errorf("%s: no stat information", p)
		}
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		hdr.Name = name
		if fi.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uid, hdr.Gid = int(st.Uid), int(st.Gid)
		hdr.Uname, hdr.Gname = "", ""
		hdr.Format = tar.FormatPAX
		hdr.AccessTime, hdr.ChangeTime = time.Time{}, time.Time{}
		if !mtime.IsZero() && hdr.ModTime.After(mtime) {
			hdr.ModTime = mtime
		}
		hdr.ModTime = hdr.ModTime.Truncate(time.Second)
		if err := addXattrs(p, hdr); err != nil {
			return err
		}
		size := int64(0)
		if fi.Mode().IsRegular() && st.Nlink > 1 {
			k := inodeKey{uint64(st.Dev), uint64(st.Ino), boot}
			if first, ok := seen[k]; ok {
				hdr.Typeflag = tar.TypeLink
				hdr.Linkname = first
				hdr.Size = 0
			} else {
				seen[k] = name
			}
		}
		if hdr.Typeflag == tar.TypeReg {
			size = fi.Size()
		}
		if boot {
			sz.BootBytes += size + 4096
		} else {
			sz.RootBytes += size + 4096
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if hdr.Typeflag == tar.TypeReg {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			_, err = io.CopyBuffer(tw, io.LimitReader(f, size), buf)
			f.Close()
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
		}
		return nil
	})
	if walkErr != nil {
		zw.Close()
		return sz, fmt.Errorf("pack %s: %w", dir, walkErr)
	}
	if err := tw.Close(); err != nil {
		return sz, err
	}
	if err := zw.Close(); err != nil {
		return sz, err
	}
	return sz, nil
}

// addXattrs copies the extended attributes of p into hdr's PAX records.
func addXattrs(p string, hdr *tar.Header) error {
	names, err := listXattrs(p)
	if err != nil {
		return err
	}
	for _, n := range names {
		v, err := getXattr(p, n)
		if err != nil {
			return err
		}
		if hdr.PAXRecords == nil {
			hdr.PAXRecords = map[string]string{}
		}
		hdr.PAXRecords[xattrPrefix+n] = string(v)
	}
	return nil
}

func listXattrs(p string) ([]string, error) {
	sz, err := unix.Llistxattr(p, nil)
	if errors.Is(err, unix.ENOTSUP) || sz == 0 {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list xattrs of %s: %w", p, err)
	}
	b := make([]byte, sz)
	sz, err = unix.Llistxattr(p, b)
	if err != nil {
		return nil, fmt.Errorf("list xattrs of %s: %w", p, err)
	}
	var names []string
	for _, n := range strings.Split(string(b[:sz]), "\x00") {
		if n != "" {
			names = append(names, n)
		}
	}
	return names, nil
}

func getXattr(p, name string) ([]byte, error) {
	sz, err := unix.Lgetxattr(p, name, nil)
	if err != nil {
		return nil, fmt.Errorf("xattr %s of %s: %w", name, p, err)
	}
	b := make([]byte, sz)
	sz, err = unix.Lgetxattr(p, name, b)
	if err != nil {
		return nil, fmt.Errorf("xattr %s of %s: %w", name, p, err)
	}
	return b[:sz], nil
}
