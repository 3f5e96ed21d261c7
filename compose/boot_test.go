package compose

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
	"github.com/altcos/altcos-tools/ostree"
)

// consoleWatch collects a VM's console and cancels the VM when a marker
// appears.
type consoleWatch struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	marker string
	seen   bool
	cancel context.CancelFunc
}

func (w *consoleWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.seen && bytes.Contains(w.buf.Bytes(), []byte(w.marker)) {
		w.seen = true
		w.cancel()
	}
	return len(p), nil
}

func (w *consoleWatch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestBootComposedCommit (tier 2, ALTCOS_VMTEST=1) proves the composed test
// OS boots as an ostree deployment: a sysroot made by the real ostree CLI in
// an ext4 image, the kernel and initramfs of its boot entry under QEMU TCG,
// Ignition from fw_cfg on first boot, ostree-prepare-root, login:.
func TestBootComposedCommit(t *testing.T) {
	if os.Getenv("ALTCOS_VMTEST") != "1" {
		t.Skip("tier-2 QEMU test: set ALTCOS_VMTEST=1")
	}
	ctx := composeEnv(t)
	tooltest.Tools(t, "mmdebstrap", "mkfs.ext4", "mount", "umount", "qemu-system-x86_64")
	tree := testOSTree(t, ctx)
	dir := t.TempDir()
	repo := filepath.Join(dir, "repo")
	res, err := Run(ctx, Options{Repo: repo, Stream: "sisyphus", Tree: tree, OSFiles: osfilesDir(t), Time: day("20261125")})
	if err != nil {
		t.Fatalf("Run(test OS) error %v", err)
	}

	// A sysroot in a raw ext4 image, as the image build makes one.
	img := filepath.Join(dir, "disk.img")
	mnt := filepath.Join(dir, "mnt")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	must := func(argv ...string) {
		t.Helper()
		if err := run.Run(ctx, nil, run.Cmd{Argv: argv}); err != nil {
			t.Fatal(err)
		}
	}
	must("truncate", "-s", "3G", img)
	must("mkfs.ext4", "-q", "-F", "-L", "root", img)
	must("mount", "-o", "loop", img, mnt)
	mounted := true
	umount := func() {
		if mounted {
			mounted = false
			_ = run.Run(context.Background(), nil, run.Cmd{Argv: []string{"umount", mnt}})
		}
	}
	t.Cleanup(umount)
	sysrepo := filepath.Join(mnt, "ostree/repo")
	must(ostree.Tool, "admin", "init-fs", "--modern", mnt)
	must(ostree.AdminArgs(mnt, "os-init", altcos.OSName)...)
	must(ostree.RepoArgs(sysrepo, "pull-local", repo, res.Ref)...)
	must(ostree.RepoArgs(sysrepo, "config", "set", "sysroot.bootloader", "none")...)
	must(ostree.AdminArgs(mnt, "deploy", "--os="+altcos.OSName, "--karg=root=LABEL=root", "--karg=rw", res.Ref)...)
	entries, _ := filepath.Glob(filepath.Join(mnt, "boot/loader/entries/*.conf"))
	if len(entries) != 1 {
		t.Fatalf("boot entries %q, want one", entries)
	}
	b, err := os.ReadFile(entries[0])
	if err != nil {
		t.Fatal(err)
	}
	var kernel, initrd, options string
	for _, l := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(l, " ")
		switch k {
		case "linux":
			kernel = filepath.Join(dir, "vmlinuz")
			must("cp", filepath.Join(mnt, "boot", v), kernel)
		case "initrd":
			initrd = filepath.Join(dir, "initrd")
			must("cp", filepath.Join(mnt, "boot", v), initrd)
		case "options":
			options = v
		}
	}
	umount()
	if kernel == "" || initrd == "" || !strings.Contains(options, "ostree=") {
		t.Fatalf("boot entry %s = %q, want linux, initrd and ostree= options", entries[0], b)
	}

	cfg := filepath.Join(dir, "config.ign")
	writeFile(t, cfg, `{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"/etc/altcos-boot-test","mode":420,"contents":{"source":"data:,ok"}}]}}`, 0o644)
	vctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	console := &consoleWatch{marker: "login:", cancel: cancel}
	start := time.Now()
	err = run.Run(vctx, nil, run.Cmd{Argv: []string{"qemu-system-x86_64", "-accel", "tcg", "-m", "2048", "-nographic", "-no-reboot",
		"-kernel", kernel, "-initrd", initrd,
		"-append", options + " console=ttyS0 ignition.firstboot ignition.platform.id=qemu",
		"-drive", "file=" + img + ",format=raw,if=virtio",
		"-fw_cfg", "name=opt/com.coreos/config,file=" + cfg}, Stdout: console})
	out := console.String()
	if !console.seen {
		tail := out
		if len(tail) > 3000 {
			tail = tail[len(tail)-3000:]
		}
		t.Fatalf("QEMU boot of %s: %v; no login: on the console; last output:\n%s", res.Version, err, tail)
	}
	t.Logf("login: after %s", time.Since(start).Round(time.Second))
	for _, want := range []string{"Ignition (files)", "OSTree Prepare OS", "Welcome to \x1b[1mALT Container OS " + res.Version} {
		if !strings.Contains(out, want) {
			t.Errorf("console lacks %q", want)
		}
	}

	// The deployment's /etc after the first boot: Ignition's file is there,
	// the SELinux config given to Ignition is gone again (with it, ostree
	// would run semodule on every later deploy).
	must("mount", "-o", "loop", img, mnt) // read-write: replays the journal of the killed VM
	mounted = true
	etcs, _ := filepath.Glob(filepath.Join(mnt, "ostree/deploy", altcos.OSName, "deploy/*.0/etc"))
	if len(etcs) != 1 {
		t.Fatalf("deployment /etc dirs %q, want one", etcs)
	}
	if b, err := os.ReadFile(filepath.Join(etcs[0], "altcos-boot-test")); err != nil || string(b) != "ok" {
		t.Errorf("/etc/altcos-boot-test = %q, %v, want the file Ignition wrote (ok)", b, err)
	}
	if _, err := os.Lstat(filepath.Join(etcs[0], "selinux/config")); err == nil {
		t.Errorf("/etc/selinux/config exists after the first boot, want it removed")
	}
}
