package installer

// Kept partitions (--save-partlabel, --save-partindex): read from the
// target's GPT and checked against the new layout in "check target",
// before anything is fetched or written; read again under the lock in
// "partition", which refuses a table that changed in between.

import (
	"errors"
	"fmt"
	"os"
	"reflect"

	layout "github.com/altcos/altcos-tools/installer/partition"
)

// selector is the plan's choice of partitions to keep.
func selector(p *Plan) layout.Selector {
	return layout.Selector{Labels: p.SavePartLabel, Indexes: p.SavePartIndex}
}

// keptOn reads f's GPT and returns the partitions p keeps. A disk without
// a GPT keeps nothing (the partitions "need not exist", as in
// coreos-installer).
func keptOn(p *Plan, f *os.File, sectorSize int) ([]layout.Kept, error) {
	all, err := layout.ReadTable(f, sectorSize)
	if errors.Is(err, layout.ErrNoGPT) {
		return nil, nil
	}
	if err != nil {
		return nil, &TargetError{Device: p.Device, Reason: err.Error() + "; drop --save-partlabel and --save-partindex, or convert the disk to GPT"}
	}
	kept, err := selector(p).Select(all)
	if err != nil {
		return nil, err
	}
	return kept, nil
}

// readKept finds the partitions to keep on the plan's target, shows them,
// and refuses the install when the new layout cannot fit around them.
func readKept(s *state) error {
	p := s.plan
	if selector(p).Empty() {
		return nil
	}
	f, err := os.Open(p.Device)
	if p.ImageMode && errors.Is(err, os.ErrNotExist) {
		s.env.Progress.Info("keep partitions: the image file " + p.Device + " does not exist yet; nothing to keep")
		return nil
	}
	if err != nil {
		return fmt.Errorf("read the partitions to keep: %w", err)
	}
	defer f.Close()
	size, ss, err := layout.DeviceSize(f)
	if err != nil {
		return err
	}
	kept, err := keptOn(p, f, ss)
	if err != nil {
		return err
	}
	if len(kept) == 0 {
		s.env.Progress.Info("keep partitions: no partition of " + p.Device + " matches; nothing is kept")
	}
	for _, k := range kept {
		s.env.Progress.Info(fmt.Sprintf("keep %s: %s", k, k.Why))
	}
	parts, err := layout.LayoutKeep(size, ss, kept)
	if err != nil {
		return &TargetError{Device: p.Device, Reason: err.Error()}
	}
	if len(kept) > 0 {
		r := parts[layout.Root-1]
		s.env.Progress.Info(fmt.Sprintf("root (partition %d) will span %d-%d MiB", r.Number, r.Start/layout.MiB, r.End()/layout.MiB))
	}
	s.kept = kept
	return nil
}

// recheckKept reads the kept partitions again from the opened, locked
// target and refuses a table that changed since "check target".
func recheckKept(s *state, t *target) ([]layout.Kept, error) {
	if selector(s.plan).Empty() {
		return nil, nil
	}
	kept, err := keptOn(s.plan, t.f, t.sectorSize)
	if err != nil {
		return nil, err
	}
	if !reflect.DeepEqual(kept, s.kept) && (len(kept) > 0 || len(s.kept) > 0) {
		return nil, &TargetError{Device: s.plan.Device, Reason: "its partition table changed since it was checked; run the install again"}
	}
	return kept, nil
}
