package vmtests

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/altcos/altcos-tools/installer/bootloader"
	"github.com/altcos/altcos-tools/vmtests/qemu"
)

// noBootCode fails when the MBR boot code area (the first
// bootloader.MBRCodeSize bytes) of the disk image holds anything.
func noBootCode(disk string) error {
	f, err := os.Open(disk)
	if err != nil {
		return err
	}
	defer f.Close()
	code := make([]byte, bootloader.MBRCodeSize)
	if _, err := io.ReadFull(f, code); err != nil {
		return fmt.Errorf("read the MBR of %s: %w", disk, err)
	}
	for i, b := range code {
		if b != 0 {
			return fmt.Errorf("%s: the MBR holds boot code (byte %d is %#x) after a power cut during the deploy: a BIOS would boot a half-installed disk", disk, i, b)
		}
	}
	return nil
}

// powerCut kills QEMU while the installer deploys, then checks that the disk
// does not boot ALTCOS and that a second install onto it succeeds.
func powerCut(ctx context.Context, env *Env) error {
	kernel, initrd, err := pxeFiles(env)
	if err != nil {
		return err
	}
	srv, disk, err := serveConfigOnBlankDisk(ctx, env)
	if err != nil {
		return err
	}
	defer srv.Close()
	kargs := configInstallKargs(env, srv)
	m, err := qemu.Start(ctx, env.Log, pxeMachine(env, "powercut-install", kernel, initrd, disk, kargs...))
	if err != nil {
		return err
	}
	defer m.Close()
	if _, err := m.Expect(ctx, "the installer starts the deploy", installTimeout, []string{"] deploy"}, liveInstallFailed, liveInstallDone, installerDone); err != nil {
		return err
	}
	// Into the deploy: its first progress line, or a few seconds, whichever
	// comes first; the archive is then half written.
	_, _ = m.Console.Expect(ctx, 5*time.Second, []string{"deploy: "}, nil)
	env.step("powercut: killing QEMU during the deploy")
	m.Kill()
	m.Close()
	// What a firmware looks for: BIOS runs the MBR's boot code, which the
	// installer writes only after the deploy, with GRUB; it must be zeros.
	if err := noBootCode(disk); err != nil {
		return err
	}

	c := env.diskMachine("powercut-boot", qemu.BIOS, disk, "raw")
	c.NoReboot = true
	b, err := qemu.Start(ctx, env.Log, c)
	if err != nil {
		return err
	}
	defer b.Close()
	_, err = b.Expect(ctx, "the cut disk must not boot ALTCOS", 3*time.Minute, []string{"No bootable device", "Boot failed", "grub rescue>", "error: "}, "login: ", "Welcome to")
	if err != nil && !errors.Is(err, qemu.ErrTimeout) {
		return err
	}
	b.Close()
	env.step("powercut: the cut disk does not boot ALTCOS; installing again")

	return pxeRun(ctx, env, pxeMachine(env, "powercut-reinstall", kernel, initrd, disk, kargs...))
}
