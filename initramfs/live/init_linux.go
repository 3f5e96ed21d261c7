package live

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
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

// ConsoleWriter writes to every console (the kernel writes its messages to
// all of them; so do we), or to fallback when none opens.
func ConsoleWriter(consoles []string, fallback io.Writer) io.Writer {
	var ws []io.Writer
	for _, name := range consoles {
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

// ShellForever keeps the shell (argv[0] is its base name: u-root's busybox
// picks the command by it) on each of ttys (ShellTTYs), as a session leader
// with its tty as the controlling terminal, reaps every orphan (the duty of
// PID 1), and starts a new shell where one exits. It never returns.
func ShellForever(shell string, ttys []string, banner io.Writer) {
	s := shells{
		start: func(tty string) (int, error) { return startShell(shell, tty) },
		wait: func() (int, error) {
			var ws unix.WaitStatus
			pid, err := unix.Wait4(-1, &ws, 0, nil)
			if err == unix.EINTR {
				return 0, errRetry
			}
			return pid, err
		},
		sleep:  time.Sleep,
		now:    time.Now,
		banner: banner,
	}
	for {
		err := s.supervise(ttys)
		fmt.Fprintf(banner, "altcos-live: %v; starting the shells again\n", err)
		time.Sleep(retryStart)
	}
}

func startShell(shell, ttyPath string) (int, error) {
	tty, err := os.OpenFile(ttyPath, os.O_RDWR, 0)
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
