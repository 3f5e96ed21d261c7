// Package partition writes the ALTCOS disk layout (DESIGN.md, "Disk layout"):
// a GPT with a protective MBR made by go-diskfs, partitions made visible to
// the kernel with BLKPG ioctls (as `partx -a` does; a kernel that parses no
// partition tables, and drops added partitions on a re-read, still sees
// them), and the wipe that undoes a failed install.
package partition

import (
	"fmt"

	"github.com/diskfs/go-diskfs/partition/gpt"
)

// MiB is the alignment of every partition.
const MiB = 1 << 20

// Type GUIDs of the layout.
const (
	TypeBIOSBoot = string(gpt.BIOSBoot)           // 21686148-6449-6E6F-744E-656564454649
	TypeESP      = string(gpt.EFISystemPartition) // C12A7328-F81F-11D2-BA4B-00A0C93EC93B
	TypeLinux    = string(gpt.LinuxFilesystem)    // 0FC63DAF-8483-4772-8E79-3D69D8477DE4
)

// Part is one partition of the layout. Offsets are in bytes so that one
// layout serves 512-byte and 4K-sector disks.
type Part struct {
	Number int
	Name   string // GPT name, also the filesystem label
	Type   string // type GUID
	Start  int64  // bytes from the start of the disk, MiB-aligned
	Size   int64  // bytes
	FS     string // "" (raw), "vfat", "ext4"
}

// End is the first byte after the partition.
func (p Part) End() int64 { return p.Start + p.Size }

// Partition numbers of the layout.
const (
	BIOSBoot = 1
	ESP      = 2
	Boot     = 3
	Root     = 4
)

// Fixed sizes of the first three partitions.
const (
	BIOSBootSize = 1 * MiB
	ESPSize      = 127 * MiB
	BootSize     = 384 * MiB
	// FirstStart leaves the first MiB to the MBR and the primary GPT.
	FirstStart = 1 * MiB
	// MinRootSize is the smallest root partition Layout accepts; the
	// installer asks for more from the deploy archive's sizes.
	MinRootSize = 512 * MiB
)

// gptReserve is what the backup GPT takes at the end of the disk: a header
// sector and 128 entries of 128 bytes, rounded up to the MiB alignment.
const gptReserve = 1 * MiB

// Layout returns the partitions for a disk of size bytes with the given
// logical sector size (512 or 4096): BIOS-BOOT 1 MiB, EFI-SYSTEM 127 MiB,
// boot 384 MiB, root the rest up to the last whole MiB before the backup GPT.
func Layout(size int64, sectorSize int) ([]Part, error) {
	if sectorSize != 512 && sectorSize != 4096 {
		return nil, fmt.Errorf("logical sector size %d is not supported (512 or 4096)", sectorSize)
	}
	parts := []Part{
		{Number: BIOSBoot, Name: "BIOS-BOOT", Type: TypeBIOSBoot, Start: FirstStart, Size: BIOSBootSize},
		{Number: ESP, Name: "EFI-SYSTEM", Type: TypeESP, Size: ESPSize, FS: "vfat"},
		{Number: Boot, Name: "boot", Type: TypeLinux, Size: BootSize, FS: "ext4"},
		{Number: Root, Name: "root", Type: TypeLinux, FS: "ext4"},
	}
	for i := 1; i < len(parts); i++ {
		parts[i].Start = parts[i-1].End()
	}
	r := &parts[len(parts)-1]
	end := (size - gptReserve) / MiB * MiB
	r.Size = end - r.Start
	if r.Size < MinRootSize {
		return nil, fmt.Errorf("disk of %d MiB is too small: the layout needs at least %d MiB", size/MiB, (r.Start+MinRootSize+gptReserve)/MiB)
	}
	return parts, nil
}

// Table is the go-diskfs GPT of parts and the kept partitions' entries as
// they were, with a protective MBR.
func Table(parts []Part, sectorSize int, kept ...Kept) *gpt.Table {
	t := &gpt.Table{LogicalSectorSize: sectorSize, PhysicalSectorSize: sectorSize, ProtectiveMBR: true}
	ss := int64(sectorSize)
	entry := func(p Part) *gpt.Partition {
		return &gpt.Partition{
			Index: p.Number,
			Start: uint64(p.Start / ss),
			End:   uint64(p.End()/ss - 1),
			Size:  uint64(p.Size),
			Type:  gpt.Type(p.Type),
			Name:  p.Name,
		}
	}
	for _, p := range parts {
		t.Partitions = append(t.Partitions, entry(p))
	}
	for _, k := range kept {
		e := entry(k.Part)
		e.GUID, e.Attributes = k.GUID, k.Attributes
		t.Partitions = append(t.Partitions, e)
	}
	return t
}
