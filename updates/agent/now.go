package agent

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// nowPoll is how often a waiting agent looks for an update-now request.
// Polling a file keeps the request working across agent restarts and needs
// no pid file or signal plumbing; one stat a second costs nothing.
const nowPoll = time.Second

// UpdateNowPath is the update-now request file next to the state file:
// /var/lib/altcos-updated/update-now.
func UpdateNowPath(statePath string) string {
	return filepath.Join(filepath.Dir(statePath), "update-now")
}

// RequestUpdateNow asks the running agent (altcos-update update-now) to skip
// its strategy's wait once: it takes the request at its next loop iteration,
// or within nowPoll while it waits.
func RequestUpdateNow(statePath string) error {
	p := UpdateNowPath(statePath)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("request update now: %w", err)
	}
	if err := os.WriteFile(p, []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o644); err != nil {
		return fmt.Errorf("request update now: %w", err)
	}
	return nil
}

func (a *Agent) nowRequested() bool {
	_, err := os.Stat(a.UpdateNowPath)
	return err == nil
}

// takeUpdateNow consumes a pending request.
func (a *Agent) takeUpdateNow() bool {
	err := os.Remove(a.UpdateNowPath)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		a.Log.Warn("cannot remove the update-now request; it may act twice", "path", a.UpdateNowPath, "err", err)
	}
	return err == nil
}

// waitOrNow runs wait (a pause, a strategy's wait) until it returns or an
// update-now request appears; skipped is true in the latter case (the
// request stays for the caller to take). The watch runs on the wall clock:
// the request comes from outside, whatever clock drives the agent.
func (a *Agent) waitOrNow(ctx context.Context, wait func(context.Context) error) (skipped bool, err error) {
	if a.nowRequested() {
		return true, nil
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fired := make(chan struct{})
	go func() {
		t := time.NewTicker(a.nowPoll)
		defer t.Stop()
		for {
			select {
			case <-wctx.Done():
				return
			case <-t.C:
				if a.nowRequested() {
					close(fired)
					cancel()
					return
				}
			}
		}
	}()
	err = wait(wctx)
	cancel()
	select {
	case <-fired:
		if ctx.Err() == nil {
			return true, nil
		}
	default:
	}
	return false, err
}
