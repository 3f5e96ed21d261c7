package installer

// Step "finish", and what Run calls on failure: cleanup (wipe what was
// written, then release) and release (give everything back, disk as is).

import (
	"context"
	"errors"
	"fmt"

	layout "github.com/altcos/altcos-tools/installer/partition"
)

func finish(ctx context.Context, s *state) error {
	t := s.target
	// 1. Sync and unmount: the disk is complete when this returns.
	if err := t.syncAll(); err != nil {
		return err
	}
	if err := t.unmountAll(); err != nil {
		return err
	}
	if err := t.f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", t.dev, err)
	}
	// 2. Give the device back (image mode: detach the loop device).
	if err := t.close(s.env.Log); err != nil {
		return err
	}
	s.target = nil
	s.env.Progress.Info(fmt.Sprintf("ALTCOS %s installed on %s", s.manifest.Version, s.plan.Device))
	return maybeReboot(s.plan, s.env)
}

// maybeReboot reboots after an install: never for an image or with
// --no-reboot; at a terminal only when the operator types y; unattended
// always. Without a way to reboot (Env.Reboot nil) it says so.
func maybeReboot(p *Plan, env Env) error {
	if p.ImageMode || p.NoReboot {
		return nil
	}
	if env.Prompt != nil {
		yes, err := env.Prompt.Confirm("Reboot now?")
		if err != nil || !yes {
			return nil
		}
	}
	if env.Reboot == nil {
		env.Progress.Info("reboot to start ALTCOS")
		return nil
	}
	return env.Reboot()
}

// cleanup undoes a failed install after its first write: unmount, wipe the
// partition tables (both GPT copies, the protective MBR) and the starts of
// the partitions (filesystem signatures, GRUB's core image), remove the
// partitions from the kernel, release the device.
func cleanup(s *state) error {
	t := s.target
	if t == nil || t.f == nil {
		// Failed before the device was opened: nothing was written.
		return s.target.close(s.env.Log)
	}
	errs := []error{t.unmountAll()}
	parts := t.parts
	if parts == nil {
		parts, _ = layout.Layout(t.size, t.sectorSize)
	}
	if err := layout.Wipe(t.f, t.size, parts); err != nil {
		errs = append(errs, fmt.Errorf("wipe %s: %w", t.dev, err))
	}
	if t.partsAdded {
		errs = append(errs, layout.RemoveFromKernel(t.f, parts))
		t.partsAdded = false
	}
	errs = append(errs, t.close(s.env.Log))
	s.target = nil
	return errors.Join(errs...)
}

// release gives back what the install holds, leaving the disk as it is
// (failure before the first write, or --preserve-on-error).
func release(s *state) {
	if err := s.target.close(s.env.Log); err != nil {
		s.env.Log.Warn("release target", "err", err)
	}
	s.target = nil
}
