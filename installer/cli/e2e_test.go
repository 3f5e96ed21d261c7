package cli

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/deployarchive"
	layout "github.com/altcos/altcos-tools/installer/partition"
	"github.com/altcos/altcos-tools/installer/password"
	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/internal/testcommit"
	"github.com/altcos/altcos-tools/internal/tooltest"
	"github.com/altcos/altcos-tools/isobuild"
)

// TestInstallImageEndToEnd runs the whole CLI into an 8 GiB image file with
// a real (small) deploy archive: every step runs, the Ignition config lands
// on the boot partition, and neither the config's contents nor the root
// password hash is printed on the way.
func TestInstallImageEndToEnd(t *testing.T) {
	tooltest.Slow(t)
	tooltest.Root(t)
	tooltest.Tools(t, "ostree", "busybox", "losetup", "sfdisk", "mkfs.ext4", "mkfs.vfat", "grub-mkimage", "mmd", "mcopy", "debugfs", "blkid")
	ctx := context.Background()
	dir := t.TempDir()
	repo, _, err := testcommit.Make(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	archiveDir := filepath.Join(dir, "out")
	if _, err := isobuild.BuildSysroot(ctx, isobuild.SysrootOptions{Repo: repo, Stream: "sisyphus", OutDir: archiveDir}); err != nil {
		t.Fatalf("BuildSysroot: %v", err)
	}
	const marker = "E2E-SECRET-MARKER-4d1c"
	cfgText := `{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"/etc/e2e","contents":{"source":"data:,` + marker + `"}}]}}`
	cfg := filepath.Join(dir, "config.ign")
	os.WriteFile(cfg, []byte(cfgText), 0o600)
	hash, _ := password.Hash("e2e password")
	img := filepath.Join(dir, "disk.img")
	f, _ := os.Create(img)
	f.Truncate(8 << 30)
	f.Close()
	none := filepath.Join(dir, "none")
	os.WriteFile(none, nil, 0o644)

	r := runCLI(t, "", "install", "--cmdline-file", none, "--config-dir", none, "--yes", "--no-reboot", "--verbose",
		"-f", filepath.Join(archiveDir, deployarchive.ArchiveName), "-i", cfg, "--root-password-hash", hash, "--console", "ttyS0,115200n8", img)
	if r.code != 0 {
		t.Fatalf("install exit %d:\n%s\n%s", r.code, r.out, r.errout)
	}
	for _, step := range []string{"[1/10] check target", "[3/10] fetch ignition", "[7/10] deploy", "[10/10] finish"} {
		if !strings.Contains(r.out, step) {
			t.Errorf("install output lacks %q:\n%s", step, r.out)
		}
	}
	for _, secret := range []string{marker, hash, hash[len(hash)-20:]} {
		if strings.Contains(r.out+r.errout, secret) {
			t.Errorf("install printed a secret %q:\n%s\n%s", secret, r.out, r.errout)
		}
	}
	// The config is on the boot partition, byte for byte.
	parts, err := layout.Layout(8<<30, 512)
	if err != nil {
		t.Fatal(err)
	}
	boot := parts[layout.Boot-1]
	out, err := run.Output(ctx, nil, run.Cmd{Argv: []string{"losetup", "-f", "--show", "-r", "-o", strconv.FormatInt(boot.Start, 10), "--sizelimit", strconv.FormatInt(boot.Size, 10), img}})
	if err != nil {
		t.Fatal(err)
	}
	loop := strings.TrimSpace(string(out))
	defer run.Run(ctx, nil, run.Cmd{Argv: []string{"losetup", "-d", loop}})
	got, err := run.Output(ctx, nil, run.Cmd{Argv: []string{"debugfs", "-R", "cat /ignition/config.ign", loop}})
	if err != nil || string(got) != cfgText {
		t.Errorf("boot partition /ignition/config.ign = %q, %v; want the config", got, err)
	}
}
