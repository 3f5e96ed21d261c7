package vmtests

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/altcos/altcos-tools/vmtests/qemu"
)

// badInput boots a PXE-style install that must refuse (the installer prints
// why, naming wantWhy), and checks that the disk is byte-identical.
func badInput(ctx context.Context, env *Env, name string, srv *qemu.Server, url, hash string, wantWhy []string) error {
	kernel, initrd, err := pxeFiles(env)
	if err != nil {
		return err
	}
	disk := filepath.Join(env.Out, "disk.img")
	if err := qemu.BlankDisk(ctx, env.Log, disk, diskSize); err != nil {
		return err
	}
	// A disk with content: a blank one would hide writes of zeros.
	if err := scribble(disk); err != nil {
		return err
	}
	before, err := qemu.DiskDigest(disk)
	if err != nil {
		return err
	}
	c := pxeMachine(env, name, kernel, initrd, disk, pxeInstallKargs(env.targetDevice(), url, hash)...)
	env.step("%s: PXE-style install with Ignition %s (must be refused)", name, url)
	m, err := qemu.Start(ctx, env.Log, c)
	if err != nil {
		return err
	}
	defer m.Close()
	r, err := m.Expect(ctx, "the installer refuses", installTimeout, []string{liveInstallFailed}, liveInstallDone, installerDone, "Kernel panic")
	if err != nil {
		return err
	}
	why := r.Before
	found := false
	for _, w := range wantWhy {
		if strings.Contains(why, w) {
			found = true
		}
	}
	if !found {
		return m.Fail("the installer says why", fmt.Errorf("the console before %q names none of %q", liveInstallFailed, wantWhy))
	}
	m.Close()
	after, err := qemu.DiskDigest(disk)
	if err != nil {
		return err
	}
	if before != after {
		return fmt.Errorf("%s: disk %s changed (digest %s before, %s after); the installer wrote before refusing", name, disk, before, after)
	}
	env.step("%s: refused, and the disk is byte-identical (sha256 over its data %s)", name, short(after))
	return nil
}

// scribble writes a recognizable pattern at the start, middle and end of disk.
func scribble(disk string) error {
	f, err := os.OpenFile(disk, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	pat := []byte(strings.Repeat("vmtest-untouched ", 64))
	for _, off := range []int64{0, st.Size() / 2, st.Size() - int64(len(pat))} {
		if _, err := f.WriteAt(pat, off); err != nil {
			return err
		}
	}
	return f.Close()
}
