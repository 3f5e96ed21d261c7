package qemu

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/altcos/altcos-tools/internal/run"
)

// BlankDisk creates a sparse raw disk of size (qemu-img syntax, e.g. 8G).
func BlankDisk(ctx context.Context, log *slog.Logger, path, size string) error {
	_ = os.Remove(path)
	if err := run.Run(ctx, log, run.Cmd{Argv: []string{"qemu-img", "create", "-q", "-f", "raw", path, size}}); err != nil {
		return fmt.Errorf("create blank disk %s: %w", path, err)
	}
	return nil
}

// Overlay creates a copy-on-write QCOW2 overlay at path over the QCOW2 image
// base, so that a machine writes to the overlay and base stays as built.
func Overlay(ctx context.Context, log *slog.Logger, base, path string) error {
	abs, err := filepath.Abs(base)
	if err != nil {
		return err
	}
	if err := run.Run(ctx, log, run.Cmd{Argv: []string{"qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", abs, path}}); err != nil {
		return fmt.Errorf("overlay of %s: %w", base, err)
	}
	return nil
}

// DiskDigest is the sha256 of a raw disk image's contents, computed over its
// data extents only (SEEK_DATA/SEEK_HOLE) with their offsets, so an 8 GiB
// sparse disk hashes in a moment. Two images with equal digests have equal
// bytes; a hole that became written zeros counts as a change, which only
// makes the "untouched" check stricter.
func DiskDigest(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	return RangeDigest(path, 0, st.Size())
}

// RangeDigest is DiskDigest of bytes [off, off+n) of a raw disk image, a
// partition's, say.
func RangeDigest(path string, off, n int64) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	var hdr [16]byte
	binary.LittleEndian.PutUint64(hdr[:8], uint64(n))
	h.Write(hdr[:8])
	fd := int(f.Fd())
	for end := off + n; off < end; {
		data, err := unix.Seek(fd, off, unix.SEEK_DATA)
		if errors.Is(err, unix.ENXIO) || (err == nil && data >= end) {
			break // only a hole is left
		}
		if err != nil {
			return "", fmt.Errorf("digest %s: seek data: %w", path, err)
		}
		hole, err := unix.Seek(fd, data, unix.SEEK_HOLE)
		if err != nil {
			return "", fmt.Errorf("digest %s: seek hole: %w", path, err)
		}
		hole = min(hole, end)
		binary.LittleEndian.PutUint64(hdr[:8], uint64(data))
		binary.LittleEndian.PutUint64(hdr[8:], uint64(hole-data))
		h.Write(hdr[:])
		if _, err := io.Copy(h, io.NewSectionReader(f, data, hole-data)); err != nil {
			return "", fmt.Errorf("digest %s: %w", path, err)
		}
		off = hole
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
