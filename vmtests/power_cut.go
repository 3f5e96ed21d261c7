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

// cutDiskWait is how long the cut disk gets to show a boot loader.
const cutDiskWait = time.Minute

// cutPower is the power cut the pxe scenario starts with: the PXE install
// with kargs onto disk, QEMU killed while the installer deploys; the disk
// must hold no MBR boot code and must not boot ALTCOS. The scenario's own
// install then goes onto this cut disk: that it succeeds and boots is the
// recovery a cut needs (it was a scenario of its own, power-cut, with a
// third install; merged to save that install and its boots).
func cutPower(ctx context.Context, env *Env, kernel, initrd, disk string, kargs []string) error {
	m, err := qemu.Start(ctx, env.Log, pxeMachine(env, "powercut-install", kernel, initrd, disk, kargs...))
	if err != nil {
		return err
	}
	defer m.Close()
	if _, err := m.Expect(ctx, "the installer starts the deploy", installTimeout, []string{"] deploy"}, liveInstallFailed, liveInstallDone, installerDone, dhclientDone); err != nil {
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
	// A bootable disk draws GRUB's menu on the serial line within seconds
	// of the firmware (the disks' firmware+menu in their times lines); a
	// minute of silence, or the firmware giving up, is enough.
	_, err = b.Expect(ctx, "the cut disk must not boot ALTCOS", cutDiskWait, []string{"No bootable device", "Boot failed", "grub rescue>", "error: "}, "GNU GRUB", "Linux version", "login: ", "Welcome to")
	if err != nil && !errors.Is(err, qemu.ErrTimeout) {
		return err
	}
	b.Close()
	env.step("powercut: the cut disk has no boot code and does not boot ALTCOS; installing onto it")
	return nil
}
