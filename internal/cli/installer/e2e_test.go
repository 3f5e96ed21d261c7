package installercli

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
	"github.com/altcos/altcos-tools/internal/testkit/archivetest"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
)

// TestInstallImageEndToEnd runs the whole CLI into an 8 GiB image file with
// a real (small) deploy archive: every step runs, the Ignition config lands
// on the boot partition, and neither the config's contents nor the root
// password hash is printed on the way; --copy-network puts the units of
// --network-dir into the deployment's /etc/systemd/network.
func TestInstallImageEndToEnd(t *testing.T) {
	tooltest.Slow(t)
	tooltest.Root(t)
	tooltest.Tools(t, "ostree", "busybox", "losetup", "sfdisk", "mkfs.ext4", "mkfs.vfat", "grub-mkimage", "mmd", "mcopy", "debugfs", "blkid")
	ctx := context.Background()
	dir := t.TempDir()
	archiveDir, manifest := archivetest.Build(t, "")
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
	netDir := filepath.Join(dir, "network")
	os.Mkdir(netDir, 0o755)
	const unit = "[Match]\nMACAddress=52:54:00:12:34:56\n\n[Network]\nDHCP=no\nAddress=10.0.2.15/24\nGateway=10.0.2.2\nDNS=10.0.2.3\n"
	os.WriteFile(filepath.Join(netDir, "10-static.network"), []byte(unit), 0o644)
	os.WriteFile(filepath.Join(netDir, "README"), []byte("not a unit"), 0o644)

	r := runCLI(t, "", "install", "--cmdline-file", none, "--config-dir", none, "--yes", "--no-reboot", "--verbose",
		"-f", filepath.Join(archiveDir, deployarchive.ArchiveName), "-i", cfg, "--root-password-hash", hash, "--console", "ttyS0,115200n8",
		"--copy-network", "--network-dir", netDir, img)
	if r.code != 0 {
		t.Fatalf("install exit %d:\n%s\n%s", r.code, r.out, r.errout)
	}
	for _, step := range []string{"[1/12] check target", "[3/12] fetch ignition", "[8/12] deploy", "[12/12] finish"} {
		if !strings.Contains(r.out, step) {
			t.Errorf("install output lacks %q:\n%s", step, r.out)
		}
	}
	// The last line names the disk and ends with a newline: the shell's
	// prompt (or the reboot question) starts on a line of its own.
	if !strings.HasSuffix(r.out, " installed on "+img+"\n") {
		t.Errorf("install output does not end with the installed line and a newline: %q", r.out[max(0, len(r.out)-200):])
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
	// The network unit is in the deployment's /etc, the other file is not.
	root := parts[layout.Root-1]
	out, err = run.Output(ctx, nil, run.Cmd{Argv: []string{"losetup", "-f", "--show", "-r", "-o", strconv.FormatInt(root.Start, 10), "--sizelimit", strconv.FormatInt(root.Size, 10), img}})
	if err != nil {
		t.Fatal(err)
	}
	rootLoop := strings.TrimSpace(string(out))
	defer run.Run(ctx, nil, run.Cmd{Argv: []string{"losetup", "-d", rootLoop}})
	netPath := "/ostree/deploy/" + manifest.OSName + "/deploy/" + manifest.Commit + ".0/etc/systemd/network/"
	got, err = run.Output(ctx, nil, run.Cmd{Argv: []string{"debugfs", "-R", "cat " + netPath + "10-static.network", rootLoop}})
	if err != nil || string(got) != unit {
		t.Errorf("%s10-static.network = %q, %v; want the unit of --network-dir", netPath, got, err)
	}
	ls, _ := run.Output(ctx, nil, run.Cmd{Argv: []string{"debugfs", "-R", "ls -l " + netPath, rootLoop}})
	if strings.Contains(string(ls), "README") || !strings.Contains(string(ls), "100644") {
		t.Errorf("%s holds:\n%s\nwant the unit only, mode 0644", netPath, ls)
	}
}

// TestLoopDeviceTarget checks a real block device (a loop device over a
// sparse file) through this machine's sysfs: a dry run accepts it, and once
// a filesystem on it is mounted the install refuses it before writing.
func TestLoopDeviceTarget(t *testing.T) {
	tooltest.Root(t)
	tooltest.Tools(t, "losetup", "mkfs.ext4", "mount", "umount", "blkid")
	ctx := context.Background()
	e := newEnv(t)
	img := filepath.Join(e.dir, "loop.img")
	f, _ := os.Create(img)
	f.Truncate(8 << 30)
	f.Close()
	out, err := run.Output(ctx, nil, run.Cmd{Argv: []string{"losetup", "-f", "--show", img}})
	if err != nil {
		t.Fatal(err)
	}
	loop := strings.TrimSpace(string(out))
	t.Cleanup(func() { run.Run(ctx, nil, run.Cmd{Argv: []string{"losetup", "-d", loop}}) })
	cfg := e.file(t, "c.ign", ign33)

	r := runCLI(t, "", append(e.base(), "--dry-run", "-i", cfg, loop)...)
	if r.code != 0 {
		t.Fatalf("dry run on %s exit %d: %s", loop, r.code, r.errout)
	}
	if v, o := planLine(t, r.out, "dest-device"); v != loop || o != "argument DEVICE" || strings.Contains(r.out, "image-mode") {
		t.Errorf("plan dest-device = %q (%s), want %s as a block device", v, o, loop)
	}
	if !strings.Contains(r.out, "dry run: would wipe "+loop+"  8G") {
		t.Errorf("dry run does not describe %s:\n%s", loop, r.out)
	}

	if err := run.Run(ctx, nil, run.Cmd{Argv: []string{"mkfs.ext4", "-q", "-L", "busy", loop}}); err != nil {
		t.Fatal(err)
	}
	mnt := filepath.Join(e.dir, "mnt")
	os.Mkdir(mnt, 0o755)
	if err := run.Run(ctx, nil, run.Cmd{Argv: []string{"mount", loop, mnt}}); err != nil {
		t.Fatal(err)
	}
	defer run.Run(ctx, nil, run.Cmd{Argv: []string{"umount", mnt}})
	r = runCLI(t, "", append(e.base(), "--yes", "-i", cfg, loop)...)
	if r.code != exitUsage || !strings.Contains(r.errout, loop+": cannot be the target: mounted at "+mnt) {
		t.Errorf("install on mounted %s = %d %q, want refusal naming the mount", loop, r.code, r.errout)
	}
	// Nothing was written: the filesystem is still there, unchanged.
	if out, err := run.Output(ctx, nil, run.Cmd{Argv: []string{"blkid", "-o", "value", "-s", "LABEL", loop}}); err != nil || strings.TrimSpace(string(out)) != "busy" {
		t.Errorf("label of %s after the refusal = %q, %v; want busy", loop, out, err)
	}
}
