package image

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
)

func TestCompressXZ(t *testing.T) {
	tooltest.Tools(t, "xz")
	f := filepath.Join(t.TempDir(), "rootfs.img")
	data := bytes.Repeat([]byte("altcos rootfs "), 10000)
	os.WriteFile(f, data, 0o644)
	p, err := CompressXZ(context.Background(), nil, f)
	if err != nil || p != f+".xz" {
		t.Fatalf("CompressXZ = %q, %v", p, err)
	}
	out, err := run.Output(context.Background(), nil, run.Cmd{Argv: []string{"xz", "-dc", p}})
	if err != nil || !bytes.Equal(out, data) {
		t.Errorf("xz -dc %s = %d bytes, %v; want the %d bytes compressed", p, len(out), err, len(data))
	}
}
