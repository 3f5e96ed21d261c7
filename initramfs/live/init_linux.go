package live

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/altcos/altcos-tools/installer/kargs"
)

// Why altcos-live is /init itself rather than u-root's init with altcos-live
// as its uinit: every program in u-root's busybox binary pays, at each start,
// for the initialisation of every package linked into it (the installer's
// Ignition and Butane libraries among them); under emulation u-root's init
// took 0.6 s before altcos-live even started. A small init of our own does the
// few things needed (mounts, consoles, the shell), and it restarts the shell
// when it exits instead of letting the kernel panic.

// SetupRoot mounts what the live system needs: /proc, /sys, /dev (devtmpfs),
// /dev/pts, /tmp. /run stays on the initramfs, where a PXE second initrd put
// the deploy archive (deployarchive.LiveMount).
func SetupRoot() error {
	mounts := []struct{ src, dst, fstype, data string }{
		{"proc", "/proc", "proc", ""},
		{"sysfs", "/sys", "sysfs", ""},
		{"devtmpfs", "/dev", "devtmpfs", ""},
		{"devpts", "/dev/pts", "devpts", "newinstance,ptmxmode=666,gid=5,mode=620"},
		{"tmpfs", "/tmp", "tmpfs", "mode=1777"},
	}
	var errs []string
	for _, m := range mounts {
		if err := os.MkdirAll(m.dst, 0o755); err != nil {
			errs = append(errs, err.Error())
			continue
		}
		if err := unix.Mount(m.src, m.dst, m.fstype, 0, m.data); err != nil && err != unix.EBUSY {
			errs = append(errs, fmt.Sprintf("mount %s on %s: %v", m.fstype, m.dst, err))
		}
	}
	// UEFI boots have EFI variables (the installer writes none, but
	// operators may want to look).
	if _, err := os.Stat("/sys/firmware/efi/efivars"); err == nil {
		unix.Mount("efivarfs", "/sys/firmware/efi/efivars", "efivarfs", 0, "")
	}
	os.Remove("/dev/ptmx")
	os.Symlink("/dev/pts/ptmx", "/dev/ptmx")
	for k, v := range map[string]string{
		"PATH": "/bbin:/bin:/usr/sbin:/usr/bin:/sbin", "HOME": "/root", "USER": "root", "TERM": "linux",
	} {
		os.Setenv(k, v)
	}
	os.MkdirAll("/root", 0o700)
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// ConsoleWriter writes to every console= of the kernel command line (the
// kernel writes its messages to all of them; so do we), or to fallback.
func ConsoleWriter(cmdline string, fallback io.Writer) io.Writer {
	args, _ := kargs.Parse(cmdline)
	var ws []io.Writer
	seen := map[string]bool{}
	for _, a := range args {
		if a.Key != "console" || !a.HasValue {
			continue
		}
		name, _, _ := strings.Cut(a.Value, ",")
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		f, err := os.OpenFile(filepath.Join("/dev", name), os.O_WRONLY|unix.O_NOCTTY, 0)
		if err != nil {
			continue
		}
		ws = append(ws, f)
	}
	if len(ws) == 0 {
		return fallback
	}
	return io.MultiWriter(ws...)
}

// ShellForever runs the shell (argv[0] is its base name: u-root's busybox
// picks the command by it) on /dev/console as a session leader with the
// console as its controlling terminal, reaps every orphan (the duty of
// PID 1), and starts a new shell when one exits. It never returns.
func ShellForever(shell string, banner io.Writer) {
	for {
		started := time.Now()
		pid, err := startShell(shell)
		if err != nil {
			fmt.Fprintf(banner, "altcos-live: start %s: %v; retrying in 5 s\n", shell, err)
			time.Sleep(5 * time.Second)
			continue
		}
		for {
			var ws unix.WaitStatus
			wpid, err := unix.Wait4(-1, &ws, 0, nil)
			if err == unix.EINTR {
				continue
			}
			if err != nil || wpid == pid {
				break
			}
		}
		fmt.Fprintln(banner, "\naltcos-live: the shell exited; starting a new one (reboot with: shutdown -r)")
		if time.Since(started) < 2*time.Second {
			time.Sleep(2 * time.Second) // a shell that cannot start must not spin
		}
	}
}

func startShell(shell string) (int, error) {
	tty, err := os.OpenFile("/dev/console", os.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	defer tty.Close()
	p, err := os.StartProcess(shell, []string{filepath.Base(shell)}, &os.ProcAttr{
		Dir:   "/root",
		Env:   os.Environ(),
		Files: []*os.File{tty, tty, tty},
		Sys:   &unix.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0},
	})
	if err != nil {
		return 0, err
	}
	return p.Pid, nil
}
