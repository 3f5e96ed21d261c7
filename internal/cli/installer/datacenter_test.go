package installercli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	layout "github.com/altcos/altcos-tools/installer/partition"
)

// TestFCOSPXEKargs: a Fedora CoreOS PXE line with save_partlabel,
// save_partindex and insecure runs (it used to exit 2 with "unknown kernel
// argument"); --dry-run shows the settings with their origin and the
// warnings of what is done differently.
func TestFCOSPXEKargs(t *testing.T) {
	e := newEnv(t)
	cmdline := e.file(t, "fcos-pxe", "initrd=main coreos.live.rootfs_url=http://h/rootfs.img ignition.firstboot ignition.platform.id=metal console=ttyS0,115200n8"+
		" coreos.inst.install_dev="+e.image+" coreos.inst.save_partlabel=data,logs* coreos.inst.save_partindex=5- coreos.inst.insecure coreos.inst.stream=sisyphus coreos.inst.skip_reboot\n")
	r := runCLI(t, "", "install", "--cmdline-file", cmdline, "--config-dir", filepath.Join(e.dir, "none"), "-f", e.archive, "--dry-run")
	checkDryRun(t, e, r, map[string][2]string{
		"dest-device":       {e.image, "kernel argument coreos.inst.install_dev"},
		"save-partlabel":    {"data logs*", "kernel argument coreos.inst.save_partlabel"},
		"save-partindex":    {"5-", "kernel argument coreos.inst.save_partindex"},
		"insecure":          {"true", "kernel argument coreos.inst.insecure"},
		"insecure-ignition": {"false", "unset"},
		"console":           {"-", "unset"}, // image mode: the build host's consoles are not the machine's
	})
	for _, want := range []string{
		"warning: insecure: the signatures of a downloaded deploy archive",
		"warning: stream without a stream base URL (--stream-base-url, altcos.inst.stream_base_url): the deploy archive of the live medium",
		"keep partitions: no partition of " + e.image + " matches; nothing is kept",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, r.out)
		}
	}
	cmdline = e.file(t, "s390x", "coreos.inst.install_dev=/dev/dasda coreos.inst.secure_ipl\n")
	r = runCLI(t, "", "install", "--cmdline-file", cmdline, "--config-dir", filepath.Join(e.dir, "none"), "--dry-run")
	if r.code != exitUsage || !strings.Contains(r.errout, "kernel argument coreos.inst.secure_ipl: IBM Z Secure IPL does not exist on this architecture") {
		t.Errorf("coreos.inst.secure_ipl = exit %d, %q; want it refused, exit 2", r.code, r.errout)
	}
}

// writeKeptTable gives the test image a GPT holding one partition "data".
func writeKeptTable(t *testing.T, e *env, startMiB, sizeMiB int64) {
	t.Helper()
	f, err := os.OpenFile(e.image, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	k := layout.Kept{Part: layout.Part{Number: 5, Name: "data", Type: layout.TypeLinux, Start: startMiB * layout.MiB, Size: sizeMiB * layout.MiB}, GUID: "5E1F0D2C-3B4A-4F6E-8D7C-9A0B1C2D3E4F"}
	if err := layout.Write(f, 10<<30, 512, nil, k); err != nil {
		t.Fatal(err)
	}
	e.imageSum = e.sum(t)
}

// TestDryRunKeep: --dry-run shows the kept partitions and root's new
// extent; a kept partition where the fixed partitions go is refused with
// both named (exit 2); nothing is written either way.
func TestDryRunKeep(t *testing.T) {
	e := newEnv(t)
	writeKeptTable(t, e, 9216, 512)
	r := runCLI(t, "", append(e.base(), "--dry-run", "--save-partlabel", "data", "--save-partindex", "7-9", e.image)...)
	checkDryRun(t, e, r, map[string][2]string{
		"save-partlabel": {"data", "flag --save-partlabel"},
		"save-partindex": {"7-9", "flag --save-partindex"},
	})
	for _, want := range []string{`keep partition 5 "data" (9216-9728 MiB): label "data" matches save-partlabel data`, "root (partition 4) will span 513-9216 MiB", "dry run: would wipe " + e.image + "  10G  image file  (all but the kept partition(s) 5)"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, r.out)
		}
	}

	e = newEnv(t)
	writeKeptTable(t, e, 100, 100)
	r = runCLI(t, "", append(e.base(), "--yes", "--save-partindex", "5", e.image)...)
	want := e.image + `: kept partition 5 "data" (100-200 MiB) overlaps EFI-SYSTEM (partition 2, 2-129 MiB)`
	if r.code != exitUsage || !strings.Contains(r.errout, want) {
		t.Errorf("install keeping an overlapping partition = exit %d, %q; want exit 2 with %q", r.code, r.errout, want)
	}
	if e.sum(t) != e.imageSum {
		t.Errorf("the refused install changed the image")
	}
}

func TestBadKeepAndHookInput(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--save-partindex", "7-5"}, `flag --save-partindex: partition index range "7-5" ends before it starts`},
		{[]string{"--save-partlabel", "[data"}, "flag --save-partlabel: partition label glob"},
		{[]string{"--pre-install", "/nonexistent/hook"}, "flag --pre-install: hook /nonexistent/hook: no such file or directory; check the path"},
		{[]string{"--post-install", e.dir}, "flag --post-install: hook " + e.dir + " is not a regular file"},
	} {
		r := runCLI(t, "", append(append(e.base(), "--yes"), append(tc.args, e.image)...)...)
		if r.code != exitUsage || !strings.Contains(r.errout, tc.want) {
			t.Errorf("install %q = exit %d, %q; want exit 2 with %q", tc.args, r.code, r.errout, tc.want)
		}
		if e.sum(t) != e.imageSum {
			t.Errorf("install %q changed the image", tc.args)
		}
	}
}

// TestOutputOrder: each step's messages after its header (a local archive's
// sha256 is checked as the deploy streams it, not in a pass of its own in
// "open deploy archive").
func TestOutputOrder(t *testing.T) {
	e := newEnv(t)
	r := runCLI(t, "", append(e.base(), "--dry-run", e.image)...)
	if r.code != 0 {
		t.Fatalf("dry run exit %d: %s", r.code, r.errout)
	}
	order := []string{"[2/12] open deploy archive\n",
		"[3/12] fetch ignition\n", "no Ignition config: the installed system boots without one\n", "[4/12] confirm\n", "[5/12] pre-install hooks\n"}
	at := 0
	for _, want := range order {
		i := strings.Index(r.out[at:], want)
		if i < 0 {
			t.Fatalf("output lacks %q after offset %d (in this order: %q):\n%s", want, at, order, r.out)
		}
		at += i + len(want)
	}
}
