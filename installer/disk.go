package installer

// Steps "partition" and "make filesystems".

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	layout "github.com/altcos/altcos-tools/installer/partition"
	"github.com/altcos/altcos-tools/internal/run"
	"github.com/google/uuid"
)

// nodeTimeout bounds the wait for partition device nodes after BLKPG.
const nodeTimeout = 10 * time.Second

func partition(ctx context.Context, s *state) error {
	t, err := openTarget(ctx, s.env.Log, s.plan)
	if err != nil {
		return err
	}
	s.target = t
	kept, err := recheckKept(s, t)
	if err != nil {
		return err
	}
	parts, err := layout.LayoutKeep(t.size, t.sectorSize, kept)
	if err != nil {
		return fmt.Errorf("%s: %w", t.dev, err)
	}
	// Known before the first write, so a failure from here on wipes them
	// (and restores the kept partitions' entries).
	t.parts, t.kept = parts, kept
	if err := layout.Write(t.f, t.size, t.sectorSize, parts, kept...); err != nil {
		return fmt.Errorf("%s: %w", t.dev, err)
	}
	if err := layout.AddToKernel(t.f, parts, t.sectorSize); err != nil {
		return err
	}
	t.partsAdded = true
	var nodes []string
	for _, p := range parts {
		nodes = append(nodes, t.part(p.Number))
	}
	return layout.WaitNodes(ctx, nodes, nodeTimeout)
}

// mkfsVfatArgs builds the mkfs.vfat command of the ESP: FAT32 on 512-byte
// sectors, FAT16 where 127 MiB of 4K sectors are too few clusters for FAT32.
func mkfsVfatArgs(dev, label, volumeID string, sectorSize int) []string {
	fat := "32"
	if sectorSize == 4096 {
		fat = "16"
	}
	return []string{"mkfs.vfat", "-F", fat, "-n", label, "-i", volumeID, dev}
}

// mkfsExt4Args builds the mkfs.ext4 command of the boot and root filesystems.
func mkfsExt4Args(dev, label, fsUUID string) []string {
	return []string{"mkfs.ext4", "-q", "-F", "-L", label, "-U", fsUUID, dev}
}

func makeFilesystems(ctx context.Context, s *state) error {
	t := s.target
	t.bootUUID, t.rootUUID = uuid.NewString(), uuid.NewString()
	var id [4]byte
	rand.Read(id[:])
	cmds := [][]string{
		mkfsVfatArgs(t.part(layout.ESP), "EFI-SYSTEM", fmt.Sprintf("%X", id), t.sectorSize),
		mkfsExt4Args(t.part(layout.Boot), "boot", t.bootUUID),
		mkfsExt4Args(t.part(layout.Root), "root", t.rootUUID),
	}
	for _, argv := range cmds {
		if err := run.Run(ctx, s.env.Log, run.Cmd{Argv: argv}); err != nil {
			return err
		}
	}
	return nil
}
