package installercli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/installer/password"
	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/internal/testkit/lsblktest"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
)

// TestListDisksAgreesWithLsblk: `altcos-installer list-disks --json` on this
// machine shows what `lsblk -b -J` shows (name, size, type, ro, mountpoints),
// and marks a disk a target exactly when it gives no reason against it.
func TestListDisksAgreesWithLsblk(t *testing.T) {
	tooltest.Tools(t, "lsblk")
	before := lsblktest.Rows(t)
	r := runCLI(t, "", "list-disks", "--json")
	after := lsblktest.Rows(t)
	if r.code != 0 {
		t.Fatalf("list-disks --json exit %d: %s", r.code, r.errout)
	}
	lsblktest.Agree(t, "list-disks", before, after, lsblktest.Parse(t, []byte(r.out)))
	var doc struct {
		Blockdevices []struct {
			Name    string   `json:"name"`
			Target  *bool    `json:"target"`
			Reasons []string `json:"reasons"`
		} `json:"blockdevices"`
	}
	if err := json.Unmarshal([]byte(r.out), &doc); err != nil {
		t.Fatalf("JSON %q: %v", r.out, err)
	}
	for _, d := range doc.Blockdevices {
		if d.Target == nil || (*d.Target != (len(d.Reasons) == 0)) {
			t.Errorf("list-disks %s target %v reasons %q: want target exactly when there is no reason", d.Name, d.Target, d.Reasons)
		}
	}
}

func TestListDisksFake(t *testing.T) {
	r := runCLI(t, "", "list-disks", "--sysroot", fakePC)
	if r.code != 0 {
		t.Fatalf("list-disks exit %d: %s", r.code, r.errout)
	}
	for _, want := range []string{"nvme0n1 ", "└─sdc1", "  └─vg0-data", "no: held by LVM volume vg0-data", "[SWAP]", "no: the medium the live system booted from", "STICK"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("list-disks output lacks %q:\n%s", want, r.out)
		}
	}
	if strings.Contains(r.out, "ram0") {
		t.Errorf("list-disks shows ram0 without --all")
	}
	if r := runCLI(t, "", "list-disks", "--sysroot", fakePC, "--all"); !strings.Contains(r.out, "ram0") {
		t.Errorf("list-disks --all lacks ram0")
	}
	if r := runCLI(t, "", "list-disks", "extra"); r.code != exitUsage {
		t.Errorf("list-disks extra = %d, want %d", r.code, exitUsage)
	}
}

func TestValidateCommand(t *testing.T) {
	e := newEnv(t)
	good := e.file(t, "good.ign", ign33)
	bu := e.file(t, "c.bu", "variant: fcos\nversion: 1.5.0\npasswd:\n  users:\n    - name: altcos\n")
	v34 := e.file(t, "v34.ign", `{"ignition":{"version":"3.4.0"}}`)
	schema := e.file(t, "schema.ign", `{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"etc/motd"}]}}`)
	out := filepath.Join(e.dir, "out.ign")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"validate", good}, 0, good + ": valid, Ignition spec 3.3.0; the OS reads up to 3.3.0"},
		{[]string{"validate", "-o", out, bu}, 0, "valid, Ignition spec 3.3.0 (translated from Butane fcos 1.4.0)"},
		{[]string{"validate", v34}, exitUsage, ""},
		{[]string{"validate", "--spec", "3.4.0", v34}, 0, "valid, Ignition spec 3.4.0"},
		{[]string{"validate", schema}, exitUsage, schema + ": error at $.storage.files.0.path (line 1 col 61): path not absolute"},
		{[]string{"validate", "--json", schema}, exitUsage, `"path": "$.storage.files.0.path"`},
		{[]string{"validate"}, exitUsage, ""},
		{[]string{"validate", filepath.Join(e.dir, "none.ign")}, exitUsage, ""},
	} {
		r := runCLI(t, "", tc.args...)
		if r.code != tc.code || !strings.Contains(r.out, tc.want) {
			t.Errorf("altcos-installer %q = %d\n%s%s\nwant %d and %q", tc.args, r.code, r.out, r.errout, tc.code, tc.want)
		}
	}
	if b, err := os.ReadFile(out); err != nil || !strings.Contains(string(b), `"version":"3.3.0"`) {
		t.Errorf("validate -o wrote %q, %v; want the translated Ignition", b, err)
	}
}

func TestHashPassword(t *testing.T) {
	r := runCLI(t, "s3cret\n", "hash-password")
	h := strings.TrimSpace(r.out)
	if r.code != 0 || !password.Verify("s3cret", h) || strings.Contains(r.out+r.errout, "s3cret") {
		t.Fatalf("hash-password = %d %q %q, want a yescrypt hash of the input, not the input", r.code, r.out, r.errout)
	}
	if r := runCLI(t, "", "hash-password"); r.code != exitUsage {
		t.Errorf("hash-password with empty stdin = %d, want %d", r.code, exitUsage)
	}
	// mkpasswd (libxcrypt) recomputes the same hash from the same salt.
	if !run.Have("mkpasswd") {
		tooltest.Tools(t, "mkpasswd")
	}
	salt := h[len("$y$j9T$"):strings.LastIndex(h, "$")]
	out, err := run.Output(context.Background(), nil, run.Cmd{Argv: []string{"mkpasswd", "-m", "yescrypt", "-S", "$y$j9T$" + salt, "-s"}, Stdin: strings.NewReader("s3cret\n")})
	if err != nil {
		out, err = run.Output(context.Background(), nil, run.Cmd{Argv: []string{"mkpasswd", "-m", "yescrypt", "-S", salt, "-s"}, Stdin: strings.NewReader("s3cret\n")})
	}
	if err != nil || strings.TrimSpace(string(out)) != h {
		t.Errorf("mkpasswd with the same salt = %q, %v; want %q", out, err, h)
	}
}
