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
// partitions from the kernel, release the device. Kept partitions are
// never written: the wipe skips their bytes, and a table holding only
// their entries, as they were, is written back.
func cleanup(s *state) error {
	t := s.target
	if t == nil || t.f == nil || t.parts == nil {
		// Failed before the partition table was written: nothing to undo.
		return s.target.close(s.env.Log)
	}
	errs := []error{t.unmountAll()}
	if err := layout.Wipe(t.f, t.size, t.parts, t.kept...); err != nil {
		errs = append(errs, fmt.Errorf("wipe %s: %w", t.dev, err))
	}
	if len(t.kept) > 0 {
		if err := layout.Write(t.f, t.size, t.sectorSize, nil, t.kept...); err != nil {
			errs = append(errs, fmt.Errorf("restore the kept partitions' table on %s: %w", t.dev, err))
		} else {
			s.env.Progress.Info(fmt.Sprintf("restored a partition table with the %d kept partition(s) alone on %s", len(t.kept), s.plan.Device))
		}
	}
	if t.partsAdded {
		errs = append(errs, layout.RemoveFromKernel(t.f, t.parts))
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
