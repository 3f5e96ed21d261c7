package updatecli

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/internal/stdio"
)

type cancelClock struct {
	now    time.Time
	sleeps []time.Duration
	cancel context.CancelFunc
	limit  int
}

func (c *cancelClock) Now() time.Time { return c.now }
func (c *cancelClock) Sleep(ctx context.Context, d time.Duration) error {
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	if len(c.sleeps) >= c.limit {
		c.cancel()
		return context.Canceled
	}
	return nil
}

// TestDaemonBadConfig: an unknown strategy or a bad window keeps the agent
// from starting; it logs the cause and reads the configuration again later,
// touching nothing (the sysroot given does not even exist).
func TestDaemonBadConfig(t *testing.T) {
	tests := map[string][2]string{
		"unknown strategy": {"[updates]\nstrategy = \"yolo\"\n", "yolo"},
		"bad window":       {"[updates]\nstrategy = \"periodic\"\n[[updates.periodic.window]]\ndays = [\"Sat\"]\nstart_time = \"25:99\"\nlength_minutes = 60\n", "start_time"},
	}
	for name, tt := range tests {
		text, want := tt[0], tt[1]
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			p := filepath.Join(root, "etc/altcos-updated/config.d/50-strategy.toml")
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, []byte(text), 0o644)
			os.WriteFile(filepath.Join(root, "etc/machine-id"), []byte("3d1219c7c4c5404aaa1f6d2a48adfda4\n"), 0o644)
			var logs bytes.Buffer
			e := &env{io: stdio.Stdio{Out: &logs, Err: &logs}, log: slog.New(slog.NewTextHandler(&logs, nil)),
				sysroot: filepath.Join(root, "no-sysroot"), osname: altcos.OSName, root: root}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			c := &cancelClock{cancel: cancel, limit: 2}
			if err := daemon(ctx, e, c); !errors.Is(err, context.Canceled) {
				t.Fatalf("daemon() = %v, want context.Canceled", err)
			}
			if len(c.sleeps) != 2 || c.sleeps[0] != configRetry {
				t.Errorf("daemon() slept %v, want two retries %s apart", c.sleeps, configRetry)
			}
			if n := strings.Count(logs.String(), "retrying"); n != 2 || strings.Count(logs.String(), want) != 2 {
				t.Errorf("logs name %q %d times and retry %d times, want 2 and 2:\n%s", want, strings.Count(logs.String(), want), n, logs.String())
			}
		})
	}
}
