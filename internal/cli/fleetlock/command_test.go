package fleetlockcli

import (
	"bufio"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

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
	for _, args := range [][]string{{"--group", "x"}, {"--group", "a=0"}, {"extra"}} {
		err := Run(context.Background(), args, stdio.Stdio{Out: io.Discard, Err: io.Discard})
		if _, ok := err.(*stdio.UsageError); !ok {
			t.Errorf("Run(%v) = %v, want a usage error", args, err)
		}
	}
}
