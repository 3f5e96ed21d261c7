package qemu

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

func TestProbeAccel(t *testing.T) {
	dev := filepath.Join(t.TempDir(), "kvm")
	if err := os.WriteFile(dev, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ok := func(context.Context, time.Duration) (time.Duration, error) { return time.Millisecond, nil }
	fails := func(context.Context, time.Duration) (time.Duration, error) {
		return 0, errors.New("qemu-system-x86_64: failed to initialize kvm")
	}
	// A nested-KVM guest that hangs: it ignores the timeout it is given and
	// returns only when its context ends.
	hangs := func(ctx context.Context, _ time.Duration) (time.Duration, error) {
		<-ctx.Done()
		return 0, ctx.Err()
	}
	// A boot that succeeds, but long after the deadline.
	late := func(ctx context.Context, timeout time.Duration) (time.Duration, error) {
		time.Sleep(3 * timeout)
		return 3 * timeout, nil
	}
	tests := []struct {
		name string
		dev  string
		boot func(context.Context, time.Duration) (time.Duration, error)
		want string
	}{
		{"no KVM device", filepath.Join(t.TempDir(), "missing"), ok, "tcg"},
		{"KVM boots", dev, ok, "kvm"},
		{"KVM boot fails", dev, fails, "tcg"},
		{"KVM guest hangs", dev, hangs, "tcg"},
		{"KVM boot too slow", dev, late, "tcg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var booted atomic.Bool
			boot := func(ctx context.Context, timeout time.Duration) (time.Duration, error) {
				booted.Store(true)
				if timeout != 50*time.Millisecond {
					t.Errorf("boot timeout = %s, want the probe's 50ms", timeout)
				}
				if _, ok := ctx.Deadline(); !ok {
					t.Error("boot context has no deadline")
				}
				return tt.boot(ctx, timeout)
			}
			start := time.Now()
			got := probeAccel(context.Background(), nil, tt.dev, 50*time.Millisecond, boot)
			if got != tt.want {
				t.Errorf("probeAccel(%s) = %s, want %s", tt.name, got, tt.want)
			}
			if took := time.Since(start); took > time.Second {
				t.Errorf("probeAccel(%s) took %s, want it cut off near its 50ms deadline", tt.name, took)
			}
			if want := tt.dev == dev; booted.Load() != want {
				t.Errorf("probeAccel(%s) booted = %v, want %v", tt.name, booted.Load(), want)
			}
		})
	}
}
