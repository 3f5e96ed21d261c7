package vmtests

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/altcos/altcos-tools/vmtests/qemu"
)

// TestSmokeBoot proves the harness: a Debian cloud kernel with a generated
// busybox initramfs boots under TCG and its init's marker is seen on the
// serial console.
func TestSmokeBoot(t *testing.T) {
	out := gate(t)
	ctx := testContext(t)
	log := testLogger(t)
	kernel, err := qemu.DebianKernel(ctx, log, filepath.Join(repoRoot(t), ".cache", "vmtest", "kernel"))
	if err != nil {
		t.Fatal(err)
	}
	initrd := filepath.Join(out, "smoke.cpio")
	if err := qemu.SmokeInitramfs(initrd, "/bin/busybox"); err != nil {
		t.Fatal(err)
	}
	took, err := qemu.SmokeBoot(ctx, log, out, "smoke", "tcg", kernel, initrd, 90*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("smoke boot under TCG: marker after %s", took.Round(time.Millisecond))
}
