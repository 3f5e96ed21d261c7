package compose

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FindKernel reads both layouts: a tree as the package manager left it
// (/boot/vmlinuz-<kver>) and a composed one (/usr/lib/modules/<kver>/vmlinuz).
func TestFindKernel(t *testing.T) {
	tests := []struct {
		name  string
		files []string // files to make; a path ending in / is a folder
		want  string   // the kernel version, or a part of the error
		ok    bool
	}{
		{"composed", []string{"usr/lib/modules/6.1.0-1/vmlinuz"}, "6.1.0-1", true},
		{"package-built", []string{"boot/vmlinuz-6.1.0-2", "usr/lib/modules/6.1.0-2/"}, "6.1.0-2", true},
		{"both places, one kernel", []string{"boot/vmlinuz-6.1.0-3", "usr/lib/modules/6.1.0-3/vmlinuz"}, "6.1.0-3", true},
		{"none", []string{"usr/lib/modules/6.1.0-4/"}, "no kernel", false},
		{"two", []string{"usr/lib/modules/6.1.0-5/vmlinuz", "boot/vmlinuz-6.1.0-6", "usr/lib/modules/6.1.0-6/"}, "2 kernels (6.1.0-5, 6.1.0-6)", false},
		{"no modules", []string{"boot/vmlinuz-6.1.0-7"}, "has no modules in /usr/lib/modules/6.1.0-7", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for _, f := range tt.files {
				p := filepath.Join(root, f)
				if strings.HasSuffix(f, "/") {
					if err := os.MkdirAll(p, 0o755); err != nil {
						t.Fatal(err)
					}
					continue
				}
				writeFile(t, p, "kernel", 0o644)
			}
			got, err := FindKernel(root)
			if tt.ok && (err != nil || got != tt.want) {
				t.Errorf("FindKernel(%v) = %q, %v, want %q", tt.files, got, err, tt.want)
			}
			if !tt.ok && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("FindKernel(%v) = %q, %v, want an error containing %q", tt.files, got, err, tt.want)
			}
		})
	}
	if got, want := KernelPath("/t", "6.1.0-1"), "/t/usr/lib/modules/6.1.0-1/vmlinuz"; got != want {
		t.Errorf("KernelPath = %q, want %q", got, want)
	}
}
