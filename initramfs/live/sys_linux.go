package live

import (
	"fmt"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/altcos/altcos-tools/internal/stdio"
	"github.com/u-root/u-root/pkg/kmodule"
	"golang.org/x/sys/unix"
)

// LoadModules probes the modules with their dependencies from modules.dep
// of the running kernel, all at once: a driver's probe often sleeps (ATA
// resets, USB), and the prober loads each shared dependency once. A module
// the hardware does not have fails to load; that is reported, not fatal.
func LoadModules(names []string) []error {
	p, err := kmodule.NewProber(kmodule.ProbeOpts{})
	if err != nil {
		return []error{fmt.Errorf("kernel modules: %w", err)}
	}
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.Probe(n, ""); err != nil {
				errs[i] = fmt.Errorf("module %s: %w", n, err)
			}
		}()
	}
	wg.Wait()
	var out []error
	for _, err := range errs {
		if err != nil {
			out = append(out, err)
		}
	}
	return out
}

// MountISO mounts an iso9660 device read-only.
func MountISO(dev, dir string) error {
	return unix.Mount(dev, dir, "iso9660", unix.MS_RDONLY, "")
}

// Background starts name detached, its output to /tmp/<name>.log.
func Background(name string, args ...string) error {
	log, err := os.Create("/tmp/" + name + ".log")
	if err != nil {
		return err
	}
	c := exec.Command(name, args...)
	c.Stdout, c.Stderr = log, log
	if err := c.Start(); err != nil {
		log.Close()
		return err
	}
	go func() { c.Wait(); log.Close() }()
	return nil
}

// Reboot syncs and restarts the machine.
func Reboot() error {
	unix.Sync()
	return unix.Reboot(unix.LINUX_REBOOT_CMD_RESTART)
}

// SystemEnv is the Env of the live system itself on io: the kernel's module
// loader, mounts and reboot, programs run with io attached.
func SystemEnv(io stdio.Stdio) Env {
	return Env{
		Stdio:       io,
		LoadModules: LoadModules,
		Mount:       MountISO,
		Command:     DefaultCommand(io),
		Background:  Background,
		Reboot:      Reboot,
		MediumWait:  15 * time.Second,
	}
}
