package stream

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMake(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"live.iso": "iso", "k": "kernel", "i.img": "initramfs", "r.img": "rootfs", "d.qcow2.xz": "qcow2"}
	for n, c := range files {
		os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644)
	}
	p := func(n string) string { return filepath.Join(dir, n) }
	m, err := Make(Options{
		Stream: "sisyphus", Release: "sisyphus.20261125.0.0", BaseURL: "https://altcos.example/builds/",
		Modified: time.Unix(1795000000, 0),
		Files: []File{
			{"metal", "iso", "disk", p("live.iso"), ""},
			{"metal", "pxe", "kernel", p("k"), ""},
			{"metal", "pxe", "initramfs", p("i.img"), ""},
			{"metal", "pxe", "rootfs", p("r.img"), ""},
			{"qemu", "qcow2.xz", "disk", p("d.qcow2.xz"), ""},
		},
	})
	if err != nil {
		t.Fatalf("Make = %v", err)
	}
	out := filepath.Join(dir, "sisyphus.json")
	if err := Write(out, m); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(out)
	// Read it back the way an FCOS stream reader would: generic JSON paths.
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	get := func(path string) any {
		var cur any = doc
		for _, k := range strings.Split(path, "/") {
			m, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = m[k]
		}
		return cur
	}
	tests := []struct{ path, want string }{
		{"stream", "sisyphus"},
		{"metadata/last-modified", "2026-11-18T11:06:40Z"},
		{"architectures/x86_64/artifacts/metal/release", "sisyphus.20261125.0.0"},
		{"architectures/x86_64/artifacts/metal/formats/iso/disk/location", "https://altcos.example/builds/live.iso"},
		{"architectures/x86_64/artifacts/metal/formats/iso/disk/sha256", fmt.Sprintf("%x", sha256.Sum256([]byte("iso")))},
		{"architectures/x86_64/artifacts/metal/formats/pxe/rootfs/location", "https://altcos.example/builds/r.img"},
		{"architectures/x86_64/artifacts/qemu/formats/qcow2.xz/disk/location", "https://altcos.example/builds/d.qcow2.xz"},
	}
	for _, tt := range tests {
		got, _ := get(tt.path).(string)
		if got != tt.want {
			t.Errorf("stream %s = %q, want %q", tt.path, got, tt.want)
		}
	}
	if _, err := Make(Options{Stream: "s", Release: "r", Files: []File{{"metal", "iso", "disk", p("missing.iso"), ""}}}); err == nil {
		t.Errorf("Make(missing file) = nil error, want one")
	}
}
