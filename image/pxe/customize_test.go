package pxe

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/u-root/mkuimage/cpio"

	"github.com/altcos/altcos-tools/image/iso"
	"github.com/altcos/altcos-tools/initramfs/live"
)

// TestCustomizeRoundTrip: pxe customize appends one cpio segment after the
// initramfs as built (bytes unchanged, the segment 4-byte aligned), the
// segment unpacks to live.InitramfsCustomizeDir, and Inspect reads it back.
func TestCustomizeRoundTrip(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string, mode os.FileMode) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	built := []byte("an initramfs of 27 bytes...")
	in := write("initramfs.img", string(built), 0o644)
	cfg := `{"ignition":{"version":"3.3.0"}}`
	o := iso.CustomizeOptions{Input: in, Output: filepath.Join(dir, "custom.img"), DestDevice: "/dev/vda",
		IgnitionFile: write("config.ign", cfg, 0o600), DestConsole: []string{"ttyS0,115200n8"},
		PostInstall: []string{write("tag.sh", "#!/bin/sh\ntrue\n", 0o755)}, InstallerConfigs: []string{write("net.yaml", "fetch-retries: 3\n", 0o644)}}
	if got, err := Inspect(in); err != nil || got.Customization != nil {
		t.Fatalf("Inspect(built) = %+v, %v, want no customization", got, err)
	}
	if err := Customize(context.Background(), o); err != nil {
		t.Fatalf("Customize = %v", err)
	}
	out, err := os.ReadFile(o.Output)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(out, built) || !bytes.Equal(out[len(built):28], []byte{0}) {
		t.Fatalf("customized initramfs starts %q, want the built bytes and one zero of padding", out[:28])
	}
	recs, err := cpio.ReadAllRecords(cpio.Newc.Reader(bytes.NewReader(out[28:])))
	if err != nil {
		t.Fatalf("the appended segment is not a newc archive: %v", err)
	}
	var names []string
	modes := map[string]uint64{}
	for _, r := range recs {
		names = append(names, r.Name)
		modes[r.Name] = r.Mode
	}
	d := "etc/altcos/customize"
	wantNames := []string{"etc", "etc/altcos", d, d + "/config.ign", d + "/customize.json", d + "/hooks", d + "/hooks/post-install-1-tag.sh",
		d + "/installer.d", d + "/installer.d/01-net.yaml"}
	if !reflect.DeepEqual(names, wantNames) {
		t.Errorf("segment records = %q, want %q (parents first)", names, wantNames)
	}
	if m := modes[d+"/hooks/post-install-1-tag.sh"]; m != cpio.S_IFREG|0o755 {
		t.Errorf("hook mode = %o, want a regular file 0755", m)
	}
	got, err := Inspect(o.Output)
	if err != nil {
		t.Fatalf("Inspect(customized) = %v", err)
	}
	wantC := &live.Customization{Format: 1, DestDevice: "/dev/vda", Ignition: true, DestConsole: o.DestConsole,
		PostInstall: []string{"post-install-1-tag.sh"}, InstallerConfigs: []string{"01-net.yaml"}}
	if !reflect.DeepEqual(got.Customization, wantC) || strings.TrimSpace(string(got.Ignition)) != cfg ||
		string(got.Files["installer.d/01-net.yaml"]) != "fetch-retries: 3\n" || len(got.Files) != 2 {
		t.Errorf("Inspect(customized) = %+v, %s, %q; want %+v, the config and both files", got.Customization, got.Ignition, got.Files, wantC)
	}
	// Once is enough; live karg options belong to ISOs; bad input writes nothing.
	for _, tt := range []struct {
		name string
		o    iso.CustomizeOptions
		want string
	}{
		{"customized already", iso.CustomizeOptions{Input: o.Output, DestDevice: "/dev/vda"}, "customized already"},
		{"live kargs", iso.CustomizeOptions{Input: in, DestDevice: "/dev/vda", LiveArgs: []string{"quiet"}}, "PXE config"},
		{"bad YAML", iso.CustomizeOptions{Input: in, InstallerConfigs: []string{write("bad.yaml", "[", 0o644)}}, "bad.yaml: not YAML"},
		{"nothing", iso.CustomizeOptions{Input: in}, "nothing to customize"},
		{"missing initramfs", iso.CustomizeOptions{Input: filepath.Join(dir, "none.img"), DestDevice: "/dev/vda"}, "none.img"},
	} {
		tt.o.Output = filepath.Join(dir, "x.img")
		if err := Customize(context.Background(), tt.o); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Customize(%s) = %v, want an error containing %q", tt.name, err, tt.want)
		}
		if _, err := os.Stat(tt.o.Output); err == nil {
			t.Errorf("Customize(%s) wrote %s", tt.name, tt.o.Output)
		}
	}
}
