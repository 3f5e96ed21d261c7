package qemu

import (
	"context"
	"log/slog"
	"os"
	"time"
)

// ProbeTimeout is how long the KVM probe's smoke boot may take; a working
// KVM boots it in a second or two.
const ProbeTimeout = 8 * time.Second

// ProbeAccel chooses the accelerator: kvm when /dev/kvm opens and a smoke
// boot (SmokeBoot of kernel and initramfs) under KVM finishes within
// ProbeTimeout, tcg otherwise. Nested KVM can hang a guest forever, so the
// probe's QEMU is killed at the deadline.
func ProbeAccel(ctx context.Context, log *slog.Logger, outDir, kernel, initramfs string) string {
	boot := func(ctx context.Context, timeout time.Duration) (time.Duration, error) {
		return SmokeBoot(ctx, log, outDir, "kvm-probe", "kvm", kernel, initramfs, timeout)
	}
	return probeAccel(ctx, log, "/dev/kvm", ProbeTimeout, boot)
}

// probeAccel is ProbeAccel's decision: tcg unless the KVM device dev opens
// and boot succeeds under KVM within timeout. boot gets a context that ends
// shortly after timeout, so a boot that ignores its own timeout is still
// cut off and counts as a failure.
func probeAccel(ctx context.Context, log *slog.Logger, dev string, timeout time.Duration, boot func(ctx context.Context, timeout time.Duration) (time.Duration, error)) string {
	f, err := os.OpenFile(dev, os.O_RDWR, 0)
	if err != nil {
		if log != nil {
			log.Info("no usable KVM device; using TCG", "dev", dev, "err", err)
		}
		return "tcg"
	}
	f.Close()
	bctx, cancel := context.WithTimeout(ctx, timeout+timeout/2)
	defer cancel()
	type result struct {
		took time.Duration
		err  error
	}
	done := make(chan result, 1)
	go func() {
		took, err := boot(bctx, timeout)
		done <- result{took, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-bctx.Done():
		r.err = bctx.Err()
	}
	if r.err == nil && bctx.Err() != nil {
		r.err = bctx.Err() // finished, but only after the deadline
	}
	if r.err != nil {
		if log != nil {
			log.Info("KVM probe failed; using TCG", "err", firstLine(r.err.Error()))
		}
		return "tcg"
	}
	if log != nil {
		log.Info("KVM probe booted", "took", r.took.Round(time.Millisecond))
	}
	return "kvm"
}
