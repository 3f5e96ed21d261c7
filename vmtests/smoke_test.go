package vmtests

import (
	"path/filepath"
	"testing"
	"time"
)

// TestSmokeBoot proves the driver: a Debian cloud kernel with a generated
// busybox initramfs boots under TCG and its init's marker is seen on the
// serial console.
func TestSmokeBoot(t *testing.T) {
	out := gate(t)
	ctx := testContext(t)
	log := testLogger(t)
	kernel, err := DebianKernel(ctx, log, filepath.Join(repoRoot(t), ".cache", "vmtest", "kernel"))
	if err != nil {
		t.Fatal(err)
	}
	initrd := filepath.Join(out, "smoke.cpio")
	if err := SmokeInitramfs(initrd, "/bin/busybox"); err != nil {
		t.Fatal(err)
	}
	took, err := SmokeBoot(ctx, log, out, "smoke", "tcg", kernel, initrd, 90*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("smoke boot under TCG: marker after %s", took.Round(time.Millisecond))
}

// TestProbeAccel runs the KVM probe: whatever it answers, it must answer
// within its deadline (nested KVM hangs here and must be killed).
func TestProbeAccel(t *testing.T) {
	out := gate(t)
	ctx := testContext(t)
	log := testLogger(t)
	kernel, err := DebianKernel(ctx, log, filepath.Join(repoRoot(t), ".cache", "vmtest", "kernel"))
	if err != nil {
		t.Fatal(err)
	}
	initrd := filepath.Join(out, "smoke.cpio")
	if err := SmokeInitramfs(initrd, "/bin/busybox"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	accel := ProbeAccel(ctx, log, out, kernel, initrd)
	t.Logf("ProbeAccel() = %s after %s", accel, time.Since(start).Round(time.Millisecond))
	if accel != "tcg" && accel != "kvm" {
		t.Errorf("ProbeAccel() = %q, want tcg or kvm", accel)
	}
}
