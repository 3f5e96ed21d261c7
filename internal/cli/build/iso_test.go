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
		{[]string{"iso", "ignition"}, "embed, show or remove"},
		{[]string{"iso", "ignition", "embed"}, "takes one ISO"},
		{[]string{"iso", "kargs", "bogus"}, "use modify, show or reset"},
		{[]string{"iso", "reset", "a.iso", "b.iso"}, "takes one ISO"},
		{[]string{"pxe", "customize", "in.img"}, "-o OUT.img"},
		{[]string{"pxe", "customize", "--live-karg-append", "x", "-o", "o.img", "in.img"}, "not defined"},
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

// TestPXECustomizeCLI: pxe customize with the flags, then pxe inspect shows
// what it embedded; iso customize -h says why there is no --live-ignition.
func TestPXECustomizeCLI(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "initramfs.img"), filepath.Join(dir, "custom.img")
	hook := filepath.Join(dir, "tag.sh")
	os.WriteFile(in, []byte("initramfs"), 0o644)
	os.WriteFile(hook, []byte("#!/bin/sh\n"), 0o755)
	run := func(args ...string) (string, error) {
		var o, e bytes.Buffer
		err := Run(context.Background(), args, stdio.Stdio{In: strings.NewReader(""), Out: &o, Err: &e})
		return o.String() + e.String(), err
	}
	if got, err := run("pxe", "customize", "--dest-device", "/dev/sda", "--dest-console", "ttyS1,9600", "--dest-console", "tty0",
		"--post-install", hook, "--dest-karg-append", "quiet", "-o", out, in); err != nil || !strings.Contains(got, "installs onto /dev/sda") {
		t.Fatalf("pxe customize = %q, %v", got, err)
	}
	got, err := run("pxe", "inspect", out)
	for _, want := range []string{"installs onto /dev/sda", "dest console: ttyS1,9600 tty0", "post-install: post-install-1-tag.sh", "dest kargs append: quiet"} {
		if err != nil || !strings.Contains(got, want) {
			t.Errorf("pxe inspect = %q, %v, want %q", got, err, want)
		}
	}
	if got, _ := run("iso", "customize", "-h"); !strings.Contains(got, "There is no --live-ignition") || !strings.Contains(got, "-installer-config") {
		t.Errorf("iso customize -h = %q, want the flags and the note on --live-ignition", got)
	}
}
