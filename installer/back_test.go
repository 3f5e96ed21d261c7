package installer

// Tier 1 tests of the back half: the real tools, loop devices, image files.

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/altcos/altcos-tools/deployarchive"
	"github.com/altcos/altcos-tools/installer/bootloader"
	layout "github.com/altcos/altcos-tools/installer/partition"
	"github.com/altcos/altcos-tools/installer/password"
	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/internal/testkit/archivetest"
	"github.com/altcos/altcos-tools/internal/testkit/sfdisktest"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
	"github.com/altcos/altcos-tools/ostree"
	"golang.org/x/sys/unix"
)

var installTools = []string{"ostree", "busybox", "losetup", "partx", "sfdisk", "mkfs.ext4", "mkfs.vfat", "e2fsck", "fsck.vfat",
	"grub-mkimage", "mmd", "mcopy", "mtype", "mkpasswd", "blkid"}

// sparseImage makes a sparse image file of size bytes.
func sparseImage(t *testing.T, size int64) string {
	t.Helper()
	return sparseImageAt(t, filepath.Join(t.TempDir(), "disk.img"), size)
}

// sparseImageAt (re)creates a sparse image file of size at p.
func sparseImageAt(t *testing.T, p string, size int64) string {
	t.Helper()
	os.Remove(p)
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, size); err != nil {
		t.Fatal(err)
	}
	return p
}

// wiped fails t unless img, after what failed, has no partition table and
// no loop device holds it.
func wiped(t *testing.T, img, what string) {
	t.Helper()
	if tab, ok := sfdisktest.Read(t, img); ok {
		t.Errorf("after %s sfdisk finds %+v, want no partition table", what, tab)
	}
	noLoopsLeft(t, img)
}

// noLoopsLeft fails if a loop device still holds img.
func noLoopsLeft(t *testing.T, img string) {
	t.Helper()
	out, _ := run.Output(context.Background(), nil, run.Cmd{Argv: []string{"losetup", "--associated", img}})
	if s := strings.TrimSpace(string(out)); s != "" {
		t.Errorf("loop devices still attached to %s: %s", img, s)
	}
}

// attachImage attaches img to a loop device and has util-linux's partx add
// its partitions (this machine's kernel parses no partition tables): an
// outside view that does not use the installer's code.
func attachImage(t *testing.T, img string) string {
	t.Helper()
	ctx := context.Background()
	out, err := run.Output(ctx, nil, run.Cmd{Argv: []string{"losetup", "--find", "--show", "--partscan", img}})
	if err != nil {
		t.Fatal(err)
	}
	dev := strings.TrimSpace(string(out))
	t.Cleanup(func() {
		run.Run(context.Background(), nil, run.Cmd{Argv: []string{"partx", "-d", dev}})
		layout.DetachLoop(context.Background(), nil, dev)
	})
	// partx -a fails on partitions the kernel already found by itself.
	run.Run(ctx, nil, run.Cmd{Argv: []string{"partx", "-a", dev}})
	var nodes []string
	for n := 1; n <= 4; n++ {
		nodes = append(nodes, layout.Path(dev, n))
	}
	if err := layout.WaitNodes(ctx, nodes, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	return dev
}

func mountExt4(t *testing.T, dev, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount(dev, dir, "ext4", 0, ""); err != nil {
		t.Fatalf("mount %s: %v", dev, err)
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
}

const ignitionConfig = `{"ignition":{"version":"3.3.0"},"passwd":{"users":[{"name":"altcos","sshAuthorizedKeys":["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0Y29zLXRlc3Qta2V5LW5vdC1hLXJlYWwtb25lLTEyMzQ1 test"]}]}}` + "\n"

// TestInstallImage is the "Must show": install an archive made by
// BuildSysroot into a sparse 8 GiB image with installer.Run, then check the
// disk from the outside with the real tools.
func TestInstallImage(t *testing.T) {
	tooltest.Root(t)
	tooltest.Tools(t, installTools...)
	archiveDir, m := archivetest.Build(t, os.Getenv("ALTCOS_TEST_REPO"))
	checkInstall(t, archiveDir, m)
}

// TestInstallComposedOS runs the same checks on the composed test OS (about
// 500 MB): the repository in ALTCOS_TEST_OS_REPO, or out/repo that `make
// compose` writes.
func TestInstallComposedOS(t *testing.T) {
	tooltest.Slow(t)
	tooltest.Root(t)
	tooltest.Tools(t, installTools...)
	repo := os.Getenv("ALTCOS_TEST_OS_REPO")
	if repo == "" {
		repo, _ = filepath.Abs("../out/repo") // make compose
	}
	if !ostree.IsRepo(repo) {
		// Composing the test OS (mmdebstrap, dracut: minutes) is not a
		// test's job; make compose does it once and caches it.
		t.Skipf("no composed test OS at %s: run `make compose` (or set ALTCOS_TEST_OS_REPO)", repo)
	}
	archiveDir, m := archivetest.Build(t, repo)
	checkInstall(t, archiveDir, m)
}

func checkInstall(t *testing.T, archiveDir string, m *deployarchive.Manifest) {
	ctx := context.Background()
	img := sparseImage(t, 8<<30)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.ign")
	if err := os.WriteFile(cfg, []byte(ignitionConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	const pw = "altcos test password"
	hash, err := password.Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	plan := &Plan{Device: img, ImageMode: true, ImageFile: filepath.Join(archiveDir, deployarchive.ArchiveName),
		IgnitionFile: cfg, Platform: "metal", Console: []string{"ttyS0,115200n8"},
		AppendKargs: []string{"altcos.test=1"}, DeleteKargs: []string{"rw"}, RootPasswordHash: hash, Yes: true, NoReboot: true}
	var rep recordingReporter
	if err := Run(ctx, plan, Env{Progress: &rep}); err != nil {
		t.Fatalf("Run = %v", err)
	}
	noLoopsLeft(t, img)
	if rep.bytes == 0 {
		t.Errorf("no deploy progress in bytes was reported")
	}

	// 1. sfdisk reads the layout table.
	parts, _ := layout.Layout(8<<30, 512)
	tab, ok := sfdisktest.Read(t, img)
	if !ok || tab.Label != "gpt" || len(tab.Partitions) != 4 {
		t.Fatalf("sfdisk --json = %+v, want a GPT with 4 partitions", tab)
	}
	for i, p := range tab.Partitions {
		w := parts[i]
		if p.Name != w.Name || p.Start*512 != w.Start || p.Size*512 != w.Size || !strings.EqualFold(p.Type, w.Type) {
			t.Errorf("partition %d = %+v, want %+v", i+1, p, w)
		}
	}
	// 2. Filesystems are clean: e2fsck on boot and root, fsck.vfat on the ESP
	// copied out with dd, which also has the UEFI image.
	loop := attachImage(t, img)
	bootDev, rootDev := layout.Path(loop, layout.Boot), layout.Path(loop, layout.Root)
	for _, dev := range []string{bootDev, rootDev} {
		if err := run.Run(ctx, nil, run.Cmd{Argv: []string{"e2fsck", "-fn", dev}}); err != nil {
			t.Errorf("e2fsck -fn: %v", err)
		}
	}
	esp := filepath.Join(dir, "esp.img")
	if err := run.Run(ctx, nil, run.Cmd{Argv: []string{"dd", "if=" + img, "of=" + esp, "bs=1M", "skip=2", "count=127", "status=none"}}); err != nil {
		t.Fatal(err)
	}
	if err := run.Run(ctx, nil, run.Cmd{Argv: []string{"fsck.vfat", "-n", esp}}); err != nil {
		t.Errorf("fsck.vfat -n ESP: %v", err)
	}
	efi, err := run.Output(ctx, nil, run.Cmd{Argv: []string{"mtype", "-i", esp, "::/EFI/BOOT/BOOTX64.EFI"}, Env: []string{"MTOOLS_SKIP_CHECK=1"}})
	if err != nil || !bytes.HasPrefix(efi, []byte("MZ")) {
		t.Errorf("EFI/BOOT/BOOTX64.EFI: %d bytes, %v; want a PE image", len(efi), err)
	}
	// 3. MBR boot code pointing at the core image in BIOS-BOOT.
	disk, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer disk.Close()
	mbr := make([]byte, 512)
	disk.ReadAt(mbr, 0)
	bootImg, _ := os.ReadFile("/usr/lib/grub/i386-pc/boot.img")
	if binary.LittleEndian.Uint64(mbr[0x5c:]) != 2048 || !bytes.Equal(mbr[:0x5c], bootImg[:0x5c]) || mbr[510] != 0x55 || mbr[446+4] != 0xee {
		t.Errorf("MBR: kernel sector %d, boot code matches boot.img %v, signature %#x, partition type %#x",
			binary.LittleEndian.Uint64(mbr[0x5c:]), bytes.Equal(mbr[:0x5c], bootImg[:0x5c]), mbr[510], mbr[446+4])
	}
	core := make([]byte, 512)
	disk.ReadAt(core, parts[0].Start)
	diskboot, _ := os.ReadFile("/usr/lib/grub/i386-pc/diskboot.img")
	if !bytes.Equal(core[:500], diskboot[:500]) || binary.LittleEndian.Uint64(core[500:]) != 2049 {
		t.Errorf("BIOS-BOOT does not start with GRUB's diskboot.img and a blocklist at sector 2049")
	}

	// 4. The sysroot, seen by the real ostree.
	mnt := filepath.Join(dir, "mnt")
	mountExt4(t, rootDev, mnt)
	mountExt4(t, bootDev, filepath.Join(mnt, "boot"))
	status, err := run.Output(ctx, nil, run.Cmd{Argv: []string{"ostree", "admin", "status", "--sysroot=" + mnt}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"alt-containeros " + m.Commit + ".0", "Version: " + m.Version, "origin refspec: altcos:" + m.Ref} {
		if !strings.Contains(string(status), want) {
			t.Errorf("ostree admin status = %s, want it to contain %q", status, want)
		}
	}
	if !strings.HasPrefix(m.Version, "sisyphus.") {
		t.Errorf("version %s is not a sisyphus version", m.Version)
	}
	if err := run.Run(ctx, nil, run.Cmd{Argv: []string{"ostree", "fsck", "--repo=" + filepath.Join(mnt, "ostree/repo")}}); err != nil {
		t.Errorf("ostree fsck: %v", err)
	}
	// 5. Kernel arguments in the boot entry and in ostree's menu.
	rootUUID, err := run.Output(ctx, nil, run.Cmd{Argv: []string{"blkid", "-s", "UUID", "-o", "value", rootDev}})
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := filepath.Glob(filepath.Join(mnt, "boot/loader/entries/*.conf"))
	if len(entries) != 1 {
		t.Fatalf("boot entries = %v, want one", entries)
	}
	entry, _ := os.ReadFile(entries[0])
	opts, _ := entryOptions(string(entry))
	for _, want := range []string{"root=UUID=" + strings.TrimSpace(string(rootUUID)), "ignition.platform.id=metal", "$ignition_firstboot", "console=ttyS0,115200n8", "altcos.test=1", "ostree=/ostree/boot."} {
		if !strings.Contains(" "+opts+" ", " "+want) {
			t.Errorf("boot entry options %q lack %q", opts, want)
		}
	}
	if strings.Contains(" "+opts+" ", " rw ") || strings.Contains(opts, "root=LABEL") {
		t.Errorf("boot entry options %q still carry a deleted or placeholder argument", opts)
	}
	menu, _ := os.ReadFile(filepath.Join(mnt, "boot/loader/grub.cfg"))
	if !strings.Contains(string(menu), opts) {
		t.Errorf("ostree menu does not carry the entry's options:\n%s", menu)
	}
	static, _ := os.ReadFile(filepath.Join(mnt, "boot/grub/grub.cfg"))
	if !strings.Contains(string(static), "if [ -e ($root)/ignition.firstboot ]") || !strings.Contains(string(static), "serial --unit=0 --speed=115200") {
		t.Errorf("boot/grub/grub.cfg lacks the first-boot snippet or the serial console:\n%s", static)
	}
	for _, p := range []string{"boot/grub/i386-pc/normal.mod", "boot/grub/x86_64-efi/normal.mod"} {
		if _, err := os.Stat(filepath.Join(mnt, p)); err != nil {
			t.Errorf("GRUB modules: %v", err)
		}
	}
	// 6. First boot: the config byte for byte with mode 0600, the stamp, the password.
	got, err := os.ReadFile(filepath.Join(mnt, "boot", IgnitionFile))
	if err != nil || string(got) != ignitionConfig {
		t.Errorf("boot/ignition/config.ign = %q, %v; want the source config byte for byte", got, err)
	}
	if fi, err := os.Stat(filepath.Join(mnt, "boot", IgnitionFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("config.ign mode = %v, %v; want 0600", fi.Mode(), err)
	}
	if _, err := os.Stat(filepath.Join(mnt, "boot", FirstbootFile)); err != nil {
		t.Errorf("first-boot stamp: %v", err)
	}
	depDir := filepath.Join(mnt, "ostree/deploy", m.OSName, "deploy", m.Commit+".0")
	shadow, err := os.ReadFile(filepath.Join(depDir, "etc/shadow"))
	if err != nil {
		t.Fatal(err)
	}
	var rootHash string
	for _, l := range strings.Split(string(shadow), "\n") {
		if f := strings.Split(l, ":"); f[0] == "root" && len(f) > 2 {
			rootHash = f[1]
		}
	}
	salt := rootHash[:strings.LastIndex(rootHash, "$")]
	out, err := run.Output(ctx, nil, run.Cmd{Argv: []string{"mkpasswd", "-m", "yescrypt", "-S", salt, "-s"}, Stdin: strings.NewReader(pw + "\n")})
	if err != nil || strings.TrimSpace(string(out)) != rootHash {
		t.Errorf("mkpasswd -m yescrypt PASSWORD SALT = %q, %v; want the root hash in the deployment's /etc/shadow", out, err)
	}

	fstab, err := os.ReadFile(filepath.Join(depDir, "etc/fstab"))
	bootUUID, _ := run.Output(ctx, nil, run.Cmd{Argv: []string{"blkid", "-s", "UUID", "-o", "value", bootDev}})
	if err != nil || !strings.Contains(string(fstab), "UUID="+strings.TrimSpace(string(bootUUID))+" /boot ext4") {
		t.Errorf("deployment /etc/fstab = %q, %v; want the boot partition on /boot", fstab, err)
	}
	checkSignedESP(t, esp, depDir, strings.TrimSpace(string(bootUUID)), filepath.Join(mnt, "boot"))

	// 6b. On the installed system ostree's grub2 integration runs the OS's
	// own grub-mkconfig, whose /etc/grub.d/15_ostree asks ostree for the
	// entries: run it in the deployment (chroot, with the sysroot, /boot,
	// /dev, /proc and /sys bound in) and check the menu it makes.
	if exists(filepath.Join(depDir, "usr/sbin/grub-mkconfig")) && exists(filepath.Join(depDir, "usr/etc/grub.d/15_ostree")) {
		checkGrubMkconfig(t, mnt, depDir, strings.TrimSpace(string(bootUUID)))
	}

	// 7. A later `ostree admin deploy`, which ostree 2022.7 (built with
	// SELinux, as Debian's is) cannot do on an OS with /etc/selinux/config
	// but no semodule: it runs `semodule -N --refresh` in the new deployment.
	if exists(filepath.Join(depDir, "usr/etc/selinux/config")) && !exists(filepath.Join(depDir, "usr/bin/bwrap")) {
		// Not the installer's to fix, and the check below runs the host's bwrap.
		t.Logf("WARNING: the OS has /etc/selinux/config but no /usr/bin/bwrap: its own ostree runs semodule with bwrap, so every " +
			"upgrade on the installed system fails; add bubblewrap to the OS")
	}
	if exists(filepath.Join(depDir, "usr/etc/selinux/config")) && !exists(filepath.Join(depDir, "usr/sbin/semodule")) {
		t.Errorf("the OS has /etc/selinux/config but no /usr/sbin/semodule: every later ostree deploy (upgrade) of it fails with " +
			"\"failed to run semodule\"; compose it with osfiles/usr/sbin/semodule (the later-deploy check is not run)")
		return
	}
	// A later `ostree admin deploy` (real ostree on the mounted disk)
	// makes the new deployment the first, default menu entry, with the
	// install's kernel arguments merged.
	gen, err := ostree.WriteGRUB2Generator(dir)
	if err != nil {
		t.Fatal(err)
	}
	sr := &ostree.Sysroot{Path: mnt}
	if err := sr.Deploy(ctx, ostree.DeployOptions{OSName: m.OSName, Refspec: "altcos:" + m.Ref, GRUB2Exec: gen}); err != nil {
		t.Fatal(err)
	}
	menu, _ = os.ReadFile(filepath.Join(mnt, "boot/loader/grub.cfg"))
	first := ""
	for _, l := range strings.Split(string(menu), "\n") {
		if strings.HasPrefix(l, "linux ") {
			first = l
			break
		}
	}
	var target string
	for _, f := range strings.Fields(first) {
		if v, ok := strings.CutPrefix(f, "ostree="); ok {
			target, _ = filepath.EvalSymlinks(filepath.Join(mnt, v))
		}
	}
	if filepath.Base(target) != m.Commit+".1" || !strings.Contains(first, "root=UUID=") || !strings.Contains(first, "$ignition_firstboot") {
		t.Errorf("after a later deploy the default entry = %q (boots %s), want %s.1 with the install's kargs", first, target, m.Commit)
	}
	for _, d := range []string{m.Commit + ".0", m.Commit + ".1"} {
		testcommitClear(filepath.Join(mnt, "ostree/deploy", m.OSName, "deploy", d))
	}
}

// testcommitClear removes the immutable flag so the image can be reused.
func testcommitClear(dir string) {
	f, err := os.Open(dir)
	if err != nil {
		return
	}
	defer f.Close()
	if flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS); err == nil {
		unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags&^fsImmutableFL))
	}
}

type recordingReporter struct {
	steps []string
	bytes int64
	onB   func(done int64) // called in the deploy step

	onInfo func(msg string)
	onStep func(name string)
}

func (r *recordingReporter) Step(n, total int, name string) {
	r.steps = append(r.steps, name)
	if r.onStep != nil {
		r.onStep(name)
	}
}
func (r *recordingReporter) Bytes(done, total int64) {
	r.bytes = done
	// onB injects failures mid-stream: in the deploy step only.
	if r.onB != nil && len(r.steps) > 0 && r.steps[len(r.steps)-1] == "deploy" {
		r.onB(done)
	}
}
func (r *recordingReporter) Info(msg string) {
	if r.onInfo != nil {
		r.onInfo(msg)
	}
}

// TestInstallFailureWipes injects failures after partitioning: SIGTERM in
// the middle of the stream (the context cancelled from the progress
// callback), and an https archive whose bytes differ from its manifest.
// Each must end with the step named and no partition table on the image.
func TestInstallFailureWipes(t *testing.T) {
	tooltest.Root(t)
	tooltest.Tools(t, installTools...)
	archiveDir, m := archivetest.Build(t, "")
	archive := filepath.Join(archiveDir, deployarchive.ArchiveName)

	t.Run("cancelled mid-stream", func(t *testing.T) {
		img := sparseImage(t, 8<<30)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		rep := &recordingReporter{onB: func(int64) { cancel() }}
		err := Run(ctx, &Plan{Device: img, ImageMode: true, ImageFile: archive, Yes: true}, Env{Progress: rep})
		var se *StepError
		if !errors.As(err, &se) || se.Step != "deploy" || se.Fail != FailDisk || !errors.Is(err, context.Canceled) {
			t.Fatalf("Run cancelled mid-stream = %v, want a deploy StepError wrapping context.Canceled", err)
		}
		wiped(t, img, "the failure")
	})

	// An archive (https or a local file) that differs from its manifest is
	// found bad only as it streams (a damaged tar) or at its end (the
	// sha256), after files are written: what was written is wiped, even
	// with --preserve-on-error (a tampered OS must not stay on the disk, to
	// be made bootable by hand).
	data, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	flipped := append([]byte(nil), data...)
	flipped[len(flipped)-100] ^= 0xff // the last frame: detected late, after much was written
	otherSum := *m
	otherSum.Archive.SHA256 = strings.Repeat("0", 64) // the whole archive unpacks, then the sum differs
	for _, tc := range []struct {
		name     string
		manifest *deployarchive.Manifest
		data     []byte
		is       error
	}{
		{"bytes flipped", m, flipped, nil},
		{"sha256 differs", &otherSum, data, deployarchive.ErrChecksum},
	} {
		local := t.TempDir()
		os.WriteFile(filepath.Join(local, deployarchive.ArchiveName), tc.data, 0o644)
		os.WriteFile(filepath.Join(local, deployarchive.ManifestName), tc.manifest.Marshal(), 0o644)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch filepath.Base(r.URL.Path) {
			case deployarchive.ManifestName:
				w.Write(tc.manifest.Marshal())
			case deployarchive.ArchiveName:
				w.Write(tc.data)
			default:
				http.NotFound(w, r)
			}
		}))
		defer srv.Close()
		for _, src := range []Plan{
			{ImageFile: filepath.Join(local, deployarchive.ArchiveName)},
			{ImageURL: srv.URL + "/x/" + deployarchive.ArchiveName, Insecure: true},
		} {
			kind := map[bool]string{true: "https", false: "local"}[src.ImageURL != ""]
			for _, preserve := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s archive %s, preserve-on-error %v", kind, tc.name, preserve), func(t *testing.T) {
					img := sparseImage(t, 8<<30)
					p := src
					p.Device, p.ImageMode, p.Yes, p.PreserveOnError = img, true, true, preserve
					err := Run(context.Background(), &p, Env{})
					var se *StepError
					if !errors.As(err, &se) || se.Step != "deploy" || tc.is != nil && !errors.Is(err, tc.is) {
						t.Fatalf("Run with a bad %s archive = %v, want a deploy StepError (wrapping %v)", kind, err, tc.is)
					}
					if preserve && !strings.Contains(err.Error(), "wiped despite --preserve-on-error") {
						t.Errorf("Run with a bad %s archive and --preserve-on-error = %v, want it to say the disk was wiped anyway", kind, err)
					}
					wiped(t, img, "the failure")
				})
			}
		}
	}

	// The image lives on a small tmpfs: once it is full, the loop device
	// fails every write (EIO), as a dying or full disk does. 64 MiB fails
	// mkfs; 100 MiB fails the write-back of the deployed files, which only
	// syncfs or fsync report, once (the deploy's periodic write-back, or
	// finish).
	for _, size := range []string{"64m", "100m"} {
		t.Run("disk fails mid-write "+size, func(t *testing.T) {
			small := t.TempDir()
			if err := unix.Mount("tmpfs", small, "tmpfs", 0, "size="+size); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { unix.Unmount(small, unix.MNT_DETACH) })
			img := filepath.Join(small, "disk.img")
			os.WriteFile(img, nil, 0o644)
			os.Truncate(img, 8<<30)
			err := Run(context.Background(), &Plan{Device: img, ImageMode: true, ImageFile: archive, Yes: true}, Env{})
			var se *StepError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), "input/output error") {
				t.Fatalf("Run on a disk that fails = %v, want a StepError with the I/O error", err)
			}
			t.Logf("Run on a disk that fails mid-write: %v", err)
			wiped(t, img, "the failure")
		})
	}

	// --preserve-on-error keeps a disk that failed after the archive was
	// checked whole; one that failed mid-stream holds files not yet
	// checked against the manifest, and is wiped anyway.
	for _, tc := range []struct {
		name string
		rep  func(cancel func()) *recordingReporter
		kept bool
	}{
		{"preserve on error after the deploy", func(cancel func()) *recordingReporter {
			return &recordingReporter{onStep: func(name string) {
				if name == "install bootloader" {
					cancel()
				}
			}}
		}, true},
		{"preserve on error mid-stream", func(cancel func()) *recordingReporter {
			return &recordingReporter{onB: func(int64) { cancel() }}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := sparseImage(t, 8<<30)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			err := Run(ctx, &Plan{Device: img, ImageMode: true, ImageFile: archive, Yes: true, PreserveOnError: true}, Env{Progress: tc.rep(cancel)})
			if err == nil {
				t.Fatal("Run cancelled = nil, want an error")
			}
			if !tc.kept {
				wiped(t, img, "the failure")
				return
			}
			if _, ok := sfdisktest.Read(t, img); !ok {
				t.Errorf("--preserve-on-error: the partition table is gone, want it kept")
			}
			noLoopsLeft(t, img)
		})
	}
}

// TestInstallRefusesBeforeWriting: bad archives and a small disk are refused
// in "open deploy archive", and the image stays all zeros. (An archive of
// the right size whose sha256 differs is found as it streams and wiped:
// TestInstallFailureWipes.)
func TestInstallRefusesBeforeWriting(t *testing.T) {
	tooltest.Root(t)
	tooltest.Tools(t, installTools...)
	archiveDir, m := archivetest.Build(t, "")
	data, err := os.ReadFile(filepath.Join(archiveDir, deployarchive.ArchiveName))
	if err != nil {
		t.Fatal(err)
	}
	flipped := append([]byte(nil), data...)
	flipped[len(flipped)/2] ^= 0xff
	otherArch := *m
	otherArch.Arch = "aarch64"
	tests := []struct {
		name    string
		archive string
		size    int64
		want    string
		stream  string
	}{
		{"truncated", writeArchive(t, data[:len(data)-4096], m), 8 << 30, "shorter than its manifest", ""},
		{"wrong arch", writeArchive(t, data, &otherArch), 8 << 30, "is for aarch64", ""},
		{"disk too small", writeArchive(t, data, m), 900 << 20, "too small", ""},
		{"other stream", writeArchive(t, data, m), 8 << 30, "not p10", "p10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := sparseImage(t, tt.size)
			err := Run(context.Background(), &Plan{Device: img, ImageMode: true, ImageFile: tt.archive, Stream: tt.stream, Yes: true}, Env{})
			var se *StepError
			if !errors.As(err, &se) || se.Step != "open deploy archive" || se.Fail != FailFetch || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Run = %v, want an open-deploy-archive error containing %q", err, tt.want)
			}
			f, _ := os.Open(img)
			defer f.Close()
			head, _ := io.ReadAll(io.LimitReader(f, 1<<20))
			if !bytes.Equal(head, make([]byte, len(head))) {
				t.Errorf("the image was written to")
			}
			noLoopsLeft(t, img)
		})
	}
}

func TestEditKargs(t *testing.T) {
	in := strings.Fields("root=LABEL=root rw ostree=/ostree/boot.1/alt-containeros/abc/0")
	tests := []struct {
		name string
		e    KargEdit
		want string
	}{
		{"defaults", KargEdit{RootUUID: "U"}, "root=UUID=U rw ostree=/ostree/boot.1/alt-containeros/abc/0 ignition.platform.id=metal $ignition_firstboot"},
		{"qemu console append delete", KargEdit{RootUUID: "U", Platform: "qemu", Console: []string{"ttyS0,115200n8", "console=tty0"}, Append: []string{"quiet", "rw"}, Delete: []string{"rw"}},
			"root=UUID=U ostree=/ostree/boot.1/alt-containeros/abc/0 ignition.platform.id=qemu $ignition_firstboot console=ttyS0,115200n8 console=tty0 quiet"},
		{"delete by key", KargEdit{RootUUID: "U", Append: []string{"mitigations=off"}, Delete: []string{"mitigations"}},
			"root=UUID=U rw ostree=/ostree/boot.1/alt-containeros/abc/0 ignition.platform.id=metal $ignition_firstboot"},
	}
	for _, tt := range tests {
		if got := strings.Join(EditKargs(in, tt.e), " "); got != tt.want {
			t.Errorf("EditKargs(%s) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestSetShadowHash(t *testing.T) {
	in := "root:*:20000:0:99999:7:::\ndaemon:*:20000:0:99999:7:::\n"
	got, err := setShadowHash(in, "root", "$y$j9T$salt$hash")
	if want := "root:$y$j9T$salt$hash:20000:0:99999:7:::\ndaemon:*:20000:0:99999:7:::\n"; err != nil || got != want {
		t.Errorf("setShadowHash = %q, %v; want %q", got, err, want)
	}
	if _, err := setShadowHash("daemon:*:1::::::\n", "root", "$y$x"); err == nil {
		t.Errorf("setShadowHash(no root line) = nil error, want one")
	}
	if _, err := setShadowHash(in, "root", "a:b"); err == nil || strings.Contains(err.Error(), "a:b") {
		t.Errorf("setShadowHash(bad hash) = %v, want an error that does not quote the hash", err)
	}
}

func TestAddFstab(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fstab")
	os.WriteFile(p, []byte("# UNCONFIGURED FSTAB\n/dev/sda1 / ext4 defaults 0 1\ntmpfs /tmp tmpfs defaults 0 0\n"), 0o644)
	if err := addFstab(p, "R", "B"); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(p)
	want := "# UNCONFIGURED FSTAB\ntmpfs /tmp tmpfs defaults 0 0\nUUID=R / ext4 defaults 1 1\nUUID=B /boot ext4 defaults,nodev,nosuid 1 2\n"
	if string(got) != want {
		t.Errorf("addFstab = %q, want %q", got, want)
	}
	p2 := filepath.Join(t.TempDir(), "none")
	if err := addFstab(p2, "R", "B"); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p2); string(got) != fstabLines("R", "B") {
		t.Errorf("addFstab(new file) = %q, want %q", got, fstabLines("R", "B"))
	}
}

// TestInstall4KSectors installs onto a loop device with 4096-byte logical
// sectors, as a block device (not image mode), running the back-half steps
// directly (the front half's disk discovery is tested on its own).
func TestInstall4KSectors(t *testing.T) {
	tooltest.Root(t)
	tooltest.Tools(t, installTools...)
	ctx := context.Background()
	archiveDir, _ := archivetest.Build(t, "")
	img := sparseImage(t, 8<<30)
	dev, err := layout.AttachLoop(ctx, nil, img, 4096)
	if err != nil {
		t.Fatal(err)
	}
	parts, _ := layout.Layout(8<<30, 4096)
	t.Cleanup(func() {
		if f, err := os.Open(dev); err == nil {
			layout.RemoveFromKernel(f, parts)
			f.Close()
		}
		layout.DetachLoop(context.Background(), nil, dev)
	})
	s := &state{plan: &Plan{Device: dev, ImageFile: filepath.Join(archiveDir, deployarchive.ArchiveName), NoReboot: true},
		env: Env{Log: discardLog(), Progress: nopReporter{}}}
	for _, st := range []struct {
		name string
		fn   func(context.Context, *state) error
	}{{"open", openArchive}, {"partition", partition}, {"mkfs", makeFilesystems}, {"deploy", deploy}, {"bootloader", installBootloader}, {"first boot", firstBoot}, {"finish", finish}} {
		if err := st.fn(ctx, s); err != nil {
			if s.target != nil {
				cleanup(s)
			}
			t.Fatalf("%s: %v", st.name, err)
		}
	}
	if tab, ok := sfdisktest.Read(t, dev); !ok || tab.SectorSize != 4096 {
		t.Errorf("sfdisk --json %s = %+v (found %v); want a table with 4096-byte sectors", dev, tab, ok)
	}
	for _, n := range []int{layout.Boot, layout.Root} {
		if err := run.Run(ctx, nil, run.Cmd{Argv: []string{"e2fsck", "-fn", layout.Path(dev, n)}}); err != nil {
			t.Errorf("e2fsck -fn partition %d: %v", n, err)
		}
	}
	if err := run.Run(ctx, nil, run.Cmd{Argv: []string{"fsck.vfat", "-n", layout.Path(dev, layout.ESP)}}); err != nil {
		t.Errorf("fsck.vfat -n ESP: %v", err)
	}
	efi, err := run.Output(ctx, nil, run.Cmd{Argv: []string{"mtype", "-i", layout.Path(dev, layout.ESP), "::/EFI/BOOT/BOOTX64.EFI"}, Env: []string{"MTOOLS_SKIP_CHECK=1"}})
	if err != nil || !bytes.HasPrefix(efi, []byte("MZ")) {
		t.Errorf("BOOTX64.EFI on a 4K-sector ESP: %d bytes, %v", len(efi), err)
	}
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

type fakePrompter struct {
	answer bool
	asked  []string
}

func (f *fakePrompter) Select(string, []string) (int, error) { return 0, nil }
func (f *fakePrompter) Confirm(q string) (bool, error) {
	f.asked = append(f.asked, q)
	return f.answer, nil
}
func (f *fakePrompter) Password(string) (string, error) { return "", nil }

func TestMaybeReboot(t *testing.T) {
	tests := []struct {
		name   string
		plan   Plan
		prompt *fakePrompter
		want   bool // rebooted
		asked  bool
	}{
		{"image", Plan{ImageMode: true}, nil, false, false},
		{"no-reboot", Plan{NoReboot: true}, &fakePrompter{answer: true}, false, false},
		{"unattended", Plan{}, nil, true, false},
		{"terminal yes", Plan{}, &fakePrompter{answer: true}, true, true},
		{"terminal no", Plan{}, &fakePrompter{answer: false}, false, true},
	}
	for _, tt := range tests {
		rebooted := false
		env := Env{Progress: nopReporter{}, Reboot: func() error { rebooted = true; return nil }}
		if tt.prompt != nil {
			env.Prompt = tt.prompt
		}
		if err := maybeReboot(&tt.plan, env); err != nil {
			t.Fatal(err)
		}
		if rebooted != tt.want {
			t.Errorf("maybeReboot(%s) rebooted = %v, want %v", tt.name, rebooted, tt.want)
		}
		if tt.prompt != nil && (len(tt.prompt.asked) > 0) != tt.asked {
			t.Errorf("maybeReboot(%s) asked %q, want asked = %v", tt.name, tt.prompt.asked, tt.asked)
		}
	}
	if err := maybeReboot(&Plan{}, Env{Progress: nopReporter{}}); err != nil {
		t.Errorf("maybeReboot without Env.Reboot = %v, want nil", err)
	}
}

// checkGrubMkconfig runs the deployment's grub-mkconfig as the installed
// system would (ostree calls it with -o /boot/loader.N/grub.cfg) and checks
// that the menu boots the deployment from the boot partition with the
// install's kernel arguments.
func checkGrubMkconfig(t *testing.T, mnt, depDir, bootUUID string) {
	t.Helper()
	binds := [][2]string{{mnt, "sysroot"}, {filepath.Join(mnt, "boot"), "boot"}, {"/dev", "dev"}, {"/proc", "proc"}, {"/sys", "sys"}}
	var mounted []string
	defer func() {
		for i := len(mounted) - 1; i >= 0; i-- {
			unix.Unmount(mounted[i], unix.MNT_DETACH)
		}
	}()
	for _, b := range binds {
		dst := filepath.Join(depDir, b[1])
		if err := unix.Mount(b[0], dst, "", unix.MS_BIND, ""); err != nil {
			t.Fatalf("bind %s on %s: %v", b[0], dst, err)
		}
		mounted = append(mounted, dst)
	}
	for _, d := range []string{"run", "tmp"} {
		dst := filepath.Join(depDir, d)
		if err := unix.Mount("tmpfs", dst, "tmpfs", 0, ""); err != nil {
			t.Fatalf("tmpfs on %s: %v", dst, err)
		}
		mounted = append(mounted, dst)
	}
	if err := run.Run(context.Background(), nil, run.Cmd{Argv: []string{"chroot", depDir, "/usr/sbin/grub-mkconfig", "-o", "/tmp/grub.cfg"}}); err != nil {
		t.Errorf("grub-mkconfig in the deployment: %v", err)
		return
	}
	menu, err := os.ReadFile(filepath.Join(depDir, "tmp/grub.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"search --no-floppy --fs-uuid --set=root " + bootUUID, "ostree=/ostree/boot.", "$ignition_firstboot", "root=UUID="} {
		if !strings.Contains(string(menu), want) {
			t.Errorf("the installed system's grub-mkconfig menu lacks %q:\n%s", want, menu)
		}
	}
}

// checkSignedESP: when the deployed tree has Debian's Secure Boot chain (the
// composed test OS does), the ESP holds it byte for byte where shim and the
// signed GRUB look, with the config that finds the boot partition, and
// sbverify sees the signatures a Secure Boot firmware and shim check: shim
// by Microsoft, GRUB and the kernel of ostree's boot entry by Debian.
func checkSignedESP(t *testing.T, esp, depDir, bootUUID, bootDir string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(depDir, bootloader.TreeShim)); err != nil {
		t.Logf("the deployed tree has no %s: the ESP's unsigned GRUB was checked", bootloader.TreeShim)
		return
	}
	ctx := context.Background()
	for p, f := range map[string]string{bootloader.RemovablePath: bootloader.TreeShim, bootloader.ShimGRUBPath: bootloader.TreeSignedGRUB,
		bootloader.ShimMokManagerPath: bootloader.TreeMokManager, bootloader.SignedConfigPath: ""} {
		got, err := run.Output(ctx, nil, run.Cmd{Argv: []string{"mtype", "-i", esp, "::" + p}, Env: []string{"MTOOLS_SKIP_CHECK=1"}})
		want := []byte(bootloader.SignedConfig(bootUUID))
		if f != "" {
			want, _ = os.ReadFile(filepath.Join(depDir, f))
		}
		if err != nil || len(want) == 0 || !bytes.Equal(got, want) {
			t.Errorf("ESP %s: %d bytes, %v; want the %d bytes of %s", p, len(got), err, len(want), cmp.Or(f, "SignedConfig"))
		}
	}
	t.Run("signatures", func(t *testing.T) {
		tooltest.Tools(t, "sbverify")
		kernels, _ := filepath.Glob(filepath.Join(bootDir, "ostree/*/vmlinuz-*"))
		if len(kernels) != 1 {
			t.Fatalf("kernels on the boot partition = %v, want one", kernels)
		}
		for file, signer := range map[string]string{
			filepath.Join(depDir, bootloader.TreeShim):       "Microsoft Corporation UEFI CA 2011",
			filepath.Join(depDir, bootloader.TreeSignedGRUB): "Debian Secure Boot CA",
			kernels[0]: "Debian Secure Boot CA",
		} {
			out, err := run.Output(ctx, nil, run.Cmd{Argv: []string{"sbverify", "--list", file}})
			if err != nil || !strings.Contains(string(out), "issuer:  /") || !strings.Contains(string(out), signer) {
				t.Errorf("sbverify --list %s = %s, %v; want a signature issued by %s", file, out, err, signer)
			}
		}
	})
}

// writeArchive writes the archive bytes b and the manifest man into a new
// folder and returns the archive's path.
func writeArchive(t *testing.T, b []byte, man *deployarchive.Manifest) string {
	t.Helper()
	d := t.TempDir()
	os.WriteFile(filepath.Join(d, deployarchive.ArchiveName), b, 0o644)
	os.WriteFile(filepath.Join(d, deployarchive.ManifestName), man.Marshal(), 0o644)
	return filepath.Join(d, deployarchive.ArchiveName)
}
