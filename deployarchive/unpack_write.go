package deployarchive

// The writer pool of Unpack (the tar reader creates the files in stream
// order; writers fill, close and set them) and the attributes it sets.

import (
	"archive/tar"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// fileJob is a created file whose content the reader has read: a writer
// writes it, sets its attributes and closes it.
type fileJob struct {
	f    *os.File
	p    string
	hdr  *tar.Header
	data []byte // a buffer of u.free, len the file's size
}

func (u *unpacker) writer() {
	defer u.wg.Done()
	for j := range u.jobs {
		var err error
		if u.firstErr() == nil {
			if _, err = j.f.Write(j.data); err != nil {
				err = fmt.Errorf("write %s: %w", j.p, err)
			}
			if err == nil {
				err = u.fileAttrs(j.f, j.p, j.hdr)
			}
		}
		if cerr := j.f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("write %s: %w", j.p, cerr)
		}
		u.free <- j.data[:0]
		if err != nil {
			u.fail(err)
		}
	}
}

func (u *unpacker) fail(err error) {
	u.mu.Lock()
	if u.err == nil {
		u.err = err
	}
	u.mu.Unlock()
}

func (u *unpacker) firstErr() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.err
}

// umask is this process's file mode creation mask, from /proc (reading it
// with umask(2) would change it for a moment); -1 when unknown.
func umask() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Umask:"); ok {
			if m, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32); err == nil {
				return int(m)
			}
		}
	}
	return -1
}

// fileAttrs sets the attributes of a regular file created with mode&0777
// (the umask applied) through f, and its mtime.
func (u *unpacker) fileAttrs(f *os.File, p string, hdr *tar.Header) error {
	mode := uint32(hdr.Mode & 07777)
	if err := u.attrs(p, hdr, mode, int(f.Fd()), u.umask < 0 || mode != mode&0o777&^uint32(u.umask)); err != nil {
		return err
	}
	t := unix.NsecToTimeval(hdr.ModTime.UnixNano())
	if err := unix.Futimes(int(f.Fd()), []unix.Timeval{t, t}); err != nil {
		return fmt.Errorf("set mtime of %s: %w", p, err)
	}
	return nil
}

// attrs sets owner, mode (when chmod: not for symlinks, nor for what was
// created with its mode) and xattrs, through fd when it is open. Owner comes
// before mode: chown clears set-id bits.
func (u *unpacker) attrs(p string, hdr *tar.Header, mode uint32, fd int, chmod bool) error {
	var err error
	// What this process just created is already its own: skip the chown
	// for most of a sysroot's files (all root's), unless a set-group-ID
	// directory gave it another group.
	if hdr.Uid != u.uid || hdr.Gid != u.gid || u.setgid[filepath.Dir(p)] {
		if fd >= 0 {
			err = unix.Fchown(fd, hdr.Uid, hdr.Gid)
		} else {
			err = unix.Lchown(p, hdr.Uid, hdr.Gid)
		}
		if err != nil {
			return fmt.Errorf("chown %s: %w", p, err)
		}
		chmod = true // chown may have cleared set-ID bits
	}
	if chmod && hdr.Typeflag != tar.TypeSymlink {
		if fd >= 0 {
			err = unix.Fchmod(fd, mode)
		} else {
			err = unix.Chmod(p, mode)
		}
		if err != nil {
			return fmt.Errorf("chmod %s: %w", p, err)
		}
	}
	for k, v := range hdr.PAXRecords {
		name, ok := strings.CutPrefix(k, xattrPrefix)
		if !ok {
			continue
		}
		if fd >= 0 {
			err = unix.Fsetxattr(fd, name, []byte(v), 0)
		} else {
			err = unix.Lsetxattr(p, name, []byte(v), 0)
		}
		if err != nil {
			return fmt.Errorf("set xattr %s on %s: %w", name, p, err)
		}
	}
	return nil
}
