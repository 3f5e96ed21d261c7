package vmtests

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/altcos/altcos-tools/internal/stdio"
)

func TestDiscover(t *testing.T) {
	dir := t.TempDir()
	files := []string{
		"iso/altcos-sisyphus.iso",
		"pxe/altcos-live-kernel-x86_64",
		"pxe/altcos-initramfs.img",
		"qcow2/altcos.qcow2",
		"sysroot/deploy.json",
		"repo/config",                       // an ostree repository
		"notarepo/repo/x",                   // a folder named repo without a config is not one
		"vmtest/bios-unattended/custom.iso", // our own copies are not artifacts
		"testos/tree/boot/vmlinuz-6.1",      // too deep: an OS tree
	}
	for _, f := range files {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := Discover(dir)
	want := Artifacts{
		ISO:      filepath.Join(dir, "iso/altcos-sisyphus.iso"),
		PXEDir:   filepath.Join(dir, "pxe"),
		QCOW2:    filepath.Join(dir, "qcow2/altcos.qcow2"),
		Manifest: filepath.Join(dir, "sysroot/deploy.json"),
		Repo:     filepath.Join(dir, "repo"),
	}
	if got != want {
		t.Errorf("Discover(%s) = %+v, want %+v", dir, got, want)
	}
	if f := (Artifacts{ISO: "/mine.iso"}).Fill(want); f.ISO != "/mine.iso" || f.QCOW2 != want.QCOW2 {
		t.Errorf("Fill kept %+v, want the explicit ISO and the discovered rest", f)
	}
}

func TestIgnitionWithRootPassword(t *testing.T) {
	out, err := IgnitionWithRootPassword(VMTestIgnition, "$y$hash")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Ignition struct{ Version string } `json:"ignition"`
		Passwd   struct {
			Users []struct{ Name, PasswordHash string } `json:"users"`
		} `json:"passwd"`
	}
	if err := json.Unmarshal(out, &c); err != nil {
		t.Fatal(err)
	}
	if c.Ignition.Version != "3.3.0" || len(c.Passwd.Users) != 2 || c.Passwd.Users[1].Name != "root" || c.Passwd.Users[1].PasswordHash != "$y$hash" {
		t.Errorf("IgnitionWithRootPassword() = %s, want the vmtest user and root with the hash", out)
	}
	if _, err := IgnitionWithRootPassword([]byte("{"), "x"); err == nil {
		t.Error("IgnitionWithRootPassword(broken JSON) = nil error, want one")
	}
}

func TestFixture(t *testing.T) {
	fx, err := vmtestFixture()
	if err != nil {
		t.Fatal(err)
	}
	if fx.FileMode != "640" || fx.FilePath != "/etc/vmtest/hello.txt" || fx.Unit != "vmtest-hello.service" || !strings.HasPrefix(fx.UserHash, "$y$") {
		t.Errorf("vmtestFixture() = %+v", fx)
	}
}

func TestParseBudget(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"", 0, false}, {"4800", 80 * time.Minute, false}, {"80m", 80 * time.Minute, false}, {"soon", 0, true},
	}
	for _, tt := range tests {
		got, err := parseBudget(tt.in)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("parseBudget(%q) = %s, %v, want %s, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestRunScenariosBudget(t *testing.T) {
	var report bytes.Buffer
	res, err := RunScenarios(context.Background(), RunOptions{
		Names: []string{"pxe", "qcow2"}, Budget: time.Minute, Out: t.TempDir(), Report: &report,
		NewEnv: func(name, out string) *Env { return &Env{Out: out} },
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Status != "not run" {
			t.Errorf("RunScenarios(budget 1m) %s = %s, want not run", r.Name, r.Status)
		}
	}
	if !strings.Contains(report.String(), "pxe: not run") {
		t.Errorf("report does not name the scenarios left out:\n%s", report.String())
	}
}

func TestRunScenariosMissingArtifacts(t *testing.T) {
	var report bytes.Buffer
	res, err := RunScenarios(context.Background(), RunOptions{
		Names: []string{"bios-unattended"}, Out: t.TempDir(), Report: &report,
		NewEnv: func(name, out string) *Env { return &Env{Out: out} },
	})
	var skip *SkipError
	if err != nil || len(res) != 1 || res[0].Status != "skip" || !errors.As(res[0].Err, &skip) || !skip.Missing {
		t.Fatalf("RunScenarios(no ISO) = %+v, %v, want one missing-artifact skip", res, err)
	}
}

func TestCommandUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, "unknown command"},
		{[]string{"run", "--budget", "soon"}, "--budget"},
		{[]string{"run", "extra.iso"}, "unexpected argument"},
		{[]string{"run", "--no-such-flag"}, "no-such-flag"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		err := Command(context.Background(), tt.args, stdio.Stdio{Out: &out, Err: &errb})
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Command(%q) = %v, want a usage error about %q", tt.args, err, tt.want)
		}
	}
	var out bytes.Buffer
	if err := Command(context.Background(), []string{"list"}, stdio.Stdio{Out: &out}); err != nil || !strings.Contains(out.String(), "bios-unattended") {
		t.Errorf("Command(list) = %v, %q", err, out.String())
	}
}

func TestPXEFilesPicksTheManifestVersion(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	for _, v := range []string{"sisyphus.20261125.1.0", "sisyphus.20261125.1.1"} {
		for _, f := range []string{"live-vmlinuz.x86_64", "live-initramfs.x86_64.img", "live-rootfs.x86_64.img"} {
			if err := os.WriteFile(filepath.Join(dir, "altcos-"+v+"-"+f), []byte(v+f+"!"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	m := `{"format":1,"commit":"c","version":"sisyphus.20261125.1.1","ref":"altcos/x86_64/sisyphus"}`
	if err := os.WriteFile(filepath.Join(dir, "deploy.json"), []byte(m), 0o644); err != nil {
		t.Fatal(err)
	}
	kernel, initrd, err := pxeFiles(&Env{Out: out, Art: Artifacts{PXEDir: dir}})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "altcos-sisyphus.20261125.1.1-live-vmlinuz.x86_64"); kernel != want {
		t.Errorf("pxeFiles() kernel = %s, want %s", kernel, want)
	}
	got, err := os.ReadFile(initrd)
	if err != nil {
		t.Fatal(err)
	}
	// The live initramfs, zero padding to 4 bytes, then the rootfs.
	want := "sisyphus.20261125.1.1live-initramfs.x86_64.img!" + "\x00" + "sisyphus.20261125.1.1live-rootfs.x86_64.img!"
	if string(got) != want {
		t.Errorf("pxeFiles() initrd = %q, want %q", got, want)
	}
}
