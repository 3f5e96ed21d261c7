package fsutil

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteAtomicPath(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := WriteAtomicPath(p, 0o644, func(tmp string) error {
		if _, err := os.Lstat(tmp); err == nil {
			t.Errorf("WriteAtomicPath gave %s, which exists; want a free name", tmp)
		}
		return os.WriteFile(tmp, []byte("new"), 0o600)
	})
	if err != nil {
		t.Fatalf("WriteAtomicPath = %v", err)
	}
	b, _ := os.ReadFile(p)
	fi, _ := os.Stat(p)
	if string(b) != "new" || fi.Mode().Perm() != 0o644 {
		t.Errorf("after WriteAtomicPath: %q %v, want \"new\" -rw-r--r--", b, fi.Mode().Perm())
	}
	assertOnly(t, dir, "f")

	boom := errors.New("boom")
	err = WriteAtomicPath(p, 0o644, func(tmp string) error {
		os.WriteFile(tmp, []byte("half"), 0o644)
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("WriteAtomicPath = %v, want boom", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "new" {
		t.Errorf("after a failed write the file holds %q, want \"new\"", b)
	}
	assertOnly(t, dir, "f")
}
