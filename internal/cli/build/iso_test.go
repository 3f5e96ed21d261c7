package buildcli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/internal/stdio"
)

func TestArtifactCommandsUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"iso"}, "iso needs -o"},
		{[]string{"iso", "-o", "x.iso"}, "iso needs -o"},
		{[]string{"iso", "customize", "in.iso"}, "--dest-device"},
		{[]string{"iso", "inspect"}, "one ISO"},
		{[]string{"iso", "initramfs"}, "needs -o"},
		{[]string{"pxe", "-o", "dir"}, "--archive"},
		{[]string{"qcow2", "--archive", "a", "-o", "x.qcow2", "--size", "4"}, "8 GiB minimum"},
		{[]string{"stream"}, "--archive"},
		{[]string{"iso", "--bogus"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		err := Run(context.Background(), tt.args, stdio.Stdio{In: strings.NewReader(""), Out: &out, Err: &errb})
		var ue *stdio.UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Run(%q) = %v, want a usage error containing %q", tt.args, err, tt.want)
		}
	}
}

func TestISOInspectNotAnISO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "hostname")
	if err := os.WriteFile(p, []byte("buildhost\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	err := Run(context.Background(), []string{"iso", "inspect", p}, stdio.Stdio{Out: &out, Err: &errb})
	if err == nil || !strings.Contains(err.Error(), p+" is not an ISO") {
		t.Errorf("Run(iso inspect %s) = %v, want an error saying %s is not an ISO", p, err, p)
	}
}
