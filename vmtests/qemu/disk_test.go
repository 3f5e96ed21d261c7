package qemu

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRangeDigest(t *testing.T) {
	img := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(img, nil, 0o644); err != nil || os.Truncate(img, 64<<20) != nil {
		t.Fatal(err)
	}
	write := func(off int64, b byte) {
		f, err := os.OpenFile(img, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteAt([]byte{b}, off); err != nil {
			t.Fatal(err)
		}
	}
	digest := func(off, n int64) string {
		d, err := RangeDigest(img, off, n)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	write(20<<20, 7) // data inside the range, holes around it
	in, whole := digest(16<<20, 16<<20), digest(0, 64<<20)
	if whole2, _ := DiskDigest(img); whole2 != whole {
		t.Errorf("DiskDigest = %s, RangeDigest of the whole disk = %s; want equal", whole2, whole)
	}
	write(40<<20, 9) // outside the range
	if got := digest(16<<20, 16<<20); got != in {
		t.Errorf("a write outside the range changed its digest")
	}
	if digest(0, 64<<20) == whole {
		t.Errorf("a write inside the disk left its digest")
	}
	write(32<<20-1, 1) // the range's last byte
	if digest(16<<20, 16<<20) == in {
		t.Errorf("a write to the range's last byte left its digest")
	}
}
