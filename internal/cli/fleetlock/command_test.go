package fleetlockcli

import (
	"bufio"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/altcos/altcos-tools/internal/stdio"
	"github.com/altcos/altcos-tools/updates/fleetlock"
)

func TestCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"--listen", "127.0.0.1:0", "--data-dir", filepath.Join(t.TempDir(), "etcd"),
			"--etcd-client-url", "http://127.0.0.1:0", "--etcd-peer-url", "http://127.0.0.1:0", "--group", "workers=2"},
			stdio.Stdio{Out: pw, Err: io.Discard})
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no serving line: %v (%v)", err, <-done)
	}
	go io.Copy(io.Discard, pr)
	url := strings.Fields(line)[2]
	c := &fleetlock.Client{BaseURL: url, Params: fleetlock.ClientParams{ID: "n1", Group: "workers"}}
	if err := c.Lock(ctx); err != nil {
		t.Errorf("Lock() = %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run() = %v after cancel, want nil", err)
	}
}

func TestCommandUsage(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--group", "x"}, "want NAME=SLOTS"},
		{[]string{"--group", "a=0"}, "want NAME=SLOTS"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		// No client can ask for these groups: refused at start, not at the first request.
		{[]string{"--group", "bad name=2"}, `group "bad name" does not match ^[a-zA-Z0-9.-]+$`},
		{[]string{"--group", "=2"}, `group "" does not match`},
		{[]string{"--group", "a/b=1"}, `group "a/b" does not match`},
	} {
		// Were the arguments accepted, the service would start: on free
		// ports, in a temporary directory, and for a short while.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		args := append([]string{"--listen", "127.0.0.1:0", "--data-dir", filepath.Join(t.TempDir(), "etcd"),
			"--etcd-client-url", "http://127.0.0.1:0", "--etcd-peer-url", "http://127.0.0.1:0"}, tt.args...)
		err := Run(ctx, args, stdio.Stdio{Out: io.Discard, Err: io.Discard})
		cancel()
		if _, ok := err.(*stdio.UsageError); !ok || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Command(%q) = %v, want a usage error containing %q", tt.args, err, tt.want)
		}
	}
}
