package vmtests

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/altcos/altcos-tools/altcos"
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
		"vmtest-qcow2/qcow2/disk.qcow2",     // nor the overlays of a run with --out out/vmtest-*
		"testos/tree/boot/vmlinuz-6.1",      // too deep: an OS tree
		"test-gpg/fingerprint",              // make test-gpg-key's key
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
	// The overlay is newer than the QCOW2 it was made from.
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "vmtest-qcow2/qcow2/disk.qcow2"), later, later); err != nil {
		t.Fatal(err)
	}
	got := Discover(dir)
	want := Artifacts{
		ISO:      filepath.Join(dir, "iso/altcos-sisyphus.iso"),
		PXEDir:   filepath.Join(dir, "pxe"),
		QCOW2:    filepath.Join(dir, "qcow2/altcos.qcow2"),
		Manifest: filepath.Join(dir, "sysroot/deploy.json"),
		Repo:     filepath.Join(dir, "repo"),
		GPGKey:   "x", GPGHomedir: filepath.Join(dir, "test-gpg/home"),
	}
	if got != want {
		t.Errorf("Discover(%s) = %+v, want %+v", dir, got, want)
	}
	if f := (Artifacts{ISO: "/mine.iso"}).Fill(want); f.ISO != "/mine.iso" || f.QCOW2 != want.QCOW2 {
		t.Errorf("Fill kept %+v, want the explicit ISO and the discovered rest", f)
	}
}

func TestIgnitionWithRootPassword(t *testing.T) {
	out, err := ignitionWithRootPassword(vmtestIgnition, "$y$hash")
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
		t.Errorf("ignitionWithRootPassword() = %s, want the vmtest user and root with the hash", out)
	}
	if _, err := ignitionWithRootPassword([]byte("{"), "x"); err == nil {
		t.Error("ignitionWithRootPassword(broken JSON) = nil error, want one")
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
		got, err := ParseBudget(tt.in)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("ParseBudget(%q) = %s, %v, want %s, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestRunBudget(t *testing.T) {
	var report bytes.Buffer
	res, err := Run(context.Background(), Options{
		Names: []string{"pxe", "qcow2"}, Budget: time.Minute, Out: t.TempDir(), Report: &report,
		Env: Env{Accel: "tcg"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 {
		t.Fatalf("Run(budget 1m) = %d results, want 2", len(res))
	}
	for _, r := range res {
		if r.Status != statusNotRun || r.Err == nil || !strings.Contains(r.Err.Error(), "budget") {
			t.Errorf("Run(budget 1m) %s = %s, %v, want not run for the budget", r.Name, r.Status, r.Err)
		}
	}
	for _, want := range []string{"pxe: not run", "qcow2: not run", "vmtest: summary"} {
		if !strings.Contains(report.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, report.String())
		}
	}
}

func TestRunMissingArtifacts(t *testing.T) {
	run := func(skipMissing bool) ([]Result, error) {
		return Run(context.Background(), Options{
			Names: []string{"bios-unattended", "pxe"}, Out: t.TempDir(), Env: Env{Accel: "tcg"},
			SkipMissing: skipMissing, MissingHint: ", or skip it",
		})
	}
	// By default a scenario without its artifact fails, naming it and how
	// to build it.
	res, err := run(false)
	if err == nil || !strings.Contains(err.Error(), "2 of 2 scenarios failed") {
		t.Errorf("Run(no artifacts) error = %v, want 2 of 2 failed", err)
	}
	if len(res) != 2 {
		t.Fatalf("Run(no artifacts) = %+v, want two results", res)
	}
	for i, want := range []string{"--iso", "--pxe-dir"} {
		r := res[i]
		if r.Status != statusFail || r.Err == nil {
			t.Fatalf("Run(no artifacts) %s = %s, %v, want FAIL", r.Name, r.Status, r.Err)
		}
		for _, w := range []string{want, "make vmtest-artifacts", ", or skip it"} {
			if !strings.Contains(r.Err.Error(), w) {
				t.Errorf("Run(no artifacts) %s error = %v, want it to name %q", r.Name, r.Err, w)
			}
		}
	}
	// Told to skip them, the run passes with both skipped.
	res, err = run(true)
	var skip *skipError
	if err != nil || len(res) != 2 || res[0].Status != statusSkip || !errors.As(res[0].Err, &skip) || !skip.Missing {
		t.Fatalf("Run(no artifacts, SkipMissing) = %+v, %v, want missing-artifact skips", res, err)
	}
}

func TestRunUnknownScenario(t *testing.T) {
	if _, err := Run(context.Background(), Options{Names: []string{"nope"}, Out: t.TempDir(), Env: Env{Accel: "tcg"}}); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("Run(nope) = %v, want an unknown-scenario error", err)
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
	m := `{"format":1,"commit":"c","version":"sisyphus.20261125.1.1","ref":"` + altcos.Ref(altcos.DefaultArch, altcos.DefaultStream) + `"}`
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

// TestRunSubtest: TestScenarios runs each scenario's body as a subtest; one
// that `go test -run` leaves out is never called and never reported.
func TestRunSubtest(t *testing.T) {
	var report bytes.Buffer
	seen := map[string]string{}
	res, err := Run(context.Background(), Options{
		Names: []string{"pxe", "qcow2"}, Out: t.TempDir(), Env: Env{Accel: "tcg"}, SkipMissing: true, Report: &report,
		Subtest: func(name string, body func(io.Writer) Result) {
			if name == "qcow2" {
				var progress bytes.Buffer
				r := body(&progress)
				seen[name] = r.Status
				if !strings.Contains(progress.String(), "vmtest: === qcow2") {
					t.Errorf("qcow2's progress = %q, want its start", progress.String())
				}
			}
		},
	})
	if err != nil || len(res) != 1 || res[0].Name != "qcow2" || seen["qcow2"] != statusSkip {
		t.Fatalf("Run(subtest of qcow2 only) = %+v, %v (seen %v), want qcow2 skipped only", res, err, seen)
	}
	if strings.Contains(report.String(), "pxe") {
		t.Errorf("the report names pxe, which did not run:\n%s", report.String())
	}
}
