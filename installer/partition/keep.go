package partition

// Keeping partitions of the disk's existing GPT across an install, as
// coreos-installer's --save-partlabel and --save-partindex do: a kept
// partition keeps its entry (number, start, end, type, GUID, name,
// attributes) and its bytes; the new layout must fit around it.

import (
	"errors"
	"fmt"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/partition/gpt"
)

// Kept is a partition of the existing GPT that an install keeps.
type Kept struct {
	Part              // Number, Name (the GPT name), Type, Start, Size; FS is ""
	GUID       string // the partition's unique GUID
	Attributes uint64
	Why        string // which selector chose it, for the operator
}

// IndexRange is a partition number range of --save-partindex: N, N-, -N or
// N-M. To 0 means no upper bound.
type IndexRange struct{ From, To int }

// ParseIndexRange reads one --save-partindex value.
func ParseIndexRange(s string) (IndexRange, error) {
	bad := fmt.Errorf("partition index %q: use N, N-, -N or N-M with numbers from 1", s)
	num := func(x string) (int, error) {
		n, err := strconv.Atoi(x)
		if err != nil || n < 1 {
			return 0, bad
		}
		return n, nil
	}
	lo, hi, isRange := strings.Cut(s, "-")
	if !isRange {
		n, err := num(s)
		return IndexRange{n, n}, err
	}
	r := IndexRange{From: 1}
	var err error
	if lo == "" && hi == "" {
		return r, bad
	}
	if lo != "" {
		if r.From, err = num(lo); err != nil {
			return r, err
		}
	}
	if hi != "" {
		if r.To, err = num(hi); err != nil {
			return r, err
		}
		if r.To < r.From {
			return r, fmt.Errorf("partition index range %q ends before it starts; write it low-high", s)
		}
	}
	return r, nil
}

func (r IndexRange) has(n int) bool { return n >= r.From && (r.To == 0 || n <= r.To) }

// Selector chooses the partitions to keep: GPT names matching a glob
// (path.Match syntax) or numbers in a range.
type Selector struct {
	Labels  []string
	Indexes []string
}

// Empty reports whether s keeps nothing.
func (s Selector) Empty() bool { return len(s.Labels) == 0 && len(s.Indexes) == 0 }

// Check validates the globs and ranges of s.
func (s Selector) Check() error {
	for _, g := range s.Labels {
		if _, err := path.Match(g, ""); err != nil {
			return fmt.Errorf("partition label glob %q: %v", g, err)
		}
	}
	for _, x := range s.Indexes {
		if _, err := ParseIndexRange(x); err != nil {
			return err
		}
	}
	return nil
}

// Select returns the partitions of all that s keeps, in number order, each
// with why it was chosen.
func (s Selector) Select(all []Kept) ([]Kept, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	var out []Kept
	for _, k := range all {
		why := ""
		for _, g := range s.Labels {
			if ok, _ := path.Match(g, k.Name); ok {
				why = fmt.Sprintf("label %q matches save-partlabel %s", k.Name, g)
				break
			}
		}
		for _, x := range s.Indexes {
			if r, _ := ParseIndexRange(x); why == "" && r.has(k.Number) {
				why = fmt.Sprintf("number %d is in save-partindex %s", k.Number, x)
			}
		}
		if why != "" {
			k.Why = why
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out, nil
}

// ErrNoGPT is a disk without a GPT: there is nothing to keep.
var ErrNoGPT = errors.New("no GPT")

// ReadTable reads the partitions of the GPT on f, a disk or image file of
// logical sector size sectorSize. A disk without a GPT yields ErrNoGPT; a
// disk with an MBR (DOS) partition table is an error, since only GPT
// partitions can be kept.
func ReadTable(f *os.File, sectorSize int) ([]Kept, error) {
	mbr := make([]byte, 512)
	if _, err := f.ReadAt(mbr, 0); err != nil {
		return nil, fmt.Errorf("read the partition table of %s: %w", f.Name(), err)
	}
	t, err := gpt.Read(file.New(f, true), sectorSize, sectorSize)
	if err != nil {
		if mbr[510] == 0x55 && mbr[511] == 0xaa {
			for i := 0; i < 4; i++ {
				if ty := mbr[446+16*i+4]; ty != 0 && ty != 0xee {
					return nil, fmt.Errorf("%s has an MBR (DOS) partition table; only GPT partitions can be kept", f.Name())
				}
			}
		}
		return nil, ErrNoGPT
	}
	ss := int64(sectorSize)
	var out []Kept
	for _, p := range t.Partitions {
		if p == nil || p.Type == gpt.Unused {
			continue
		}
		out = append(out, Kept{
			Part:       Part{Number: p.Index, Name: p.Name, Type: string(p.Type), Start: int64(p.Start) * ss, Size: int64(p.End-p.Start+1) * ss},
			GUID:       p.GUID,
			Attributes: p.Attributes,
		})
	}
	return out, nil
}

// String names a kept partition for the operator.
func (k Kept) String() string {
	return fmt.Sprintf("partition %d %q (%s)", k.Number, k.Name, span(k.Start, k.End()))
}

// span shows a byte range in MiB, or in sectors of 512 bytes when it is
// not MiB-aligned.
func span(start, end int64) string {
	if start%MiB == 0 && end%MiB == 0 {
		return fmt.Sprintf("%d-%d MiB", start/MiB, end/MiB)
	}
	return fmt.Sprintf("bytes %d-%d", start, end)
}

// gptTail is what the backup GPT takes at the end of a disk: 128 entries
// of 128 bytes and a header sector.
func gptTail(sectorSize int) int64 { return int64(sectorSize) + 128*128 }

// LayoutKeep is Layout around kept partitions: BIOS-BOOT, EFI-SYSTEM and
// boot at their fixed places, root from there up to the first kept
// partition after it or the end of the disk. It refuses, naming both
// partitions, a kept partition that the fixed partitions would overwrite
// or that has a number of the layout, and a root too small.
func LayoutKeep(size int64, sectorSize int, kept []Kept) ([]Part, error) {
	if len(kept) == 0 {
		return Layout(size, sectorSize)
	}
	parts, err := Layout(size, sectorSize)
	if err != nil {
		// Too small even without kept partitions.
		return nil, err
	}
	root := &parts[Root-1]
	end := root.End()
	for _, k := range kept {
		if k.Number <= Root {
			return nil, fmt.Errorf("kept %s has number %d, which the new layout gives to %s; keep partitions numbered %d and up",
				k, k.Number, parts[k.Number-1].Name, Root+1)
		}
		if k.End() > size-gptTail(sectorSize) {
			return nil, fmt.Errorf("kept %s ends past the disk's last usable sector; the disk is smaller than its partition table says", k)
		}
		for _, p := range parts[:Root-1] {
			if k.Start < p.End() && p.Start < k.End() {
				return nil, fmt.Errorf("kept %s overlaps %s (partition %d, %s), which the new layout writes at a fixed place; move the data or do not keep it",
					k, p.Name, p.Number, span(p.Start, p.End()))
			}
		}
		if k.Start >= root.Start && k.Start < end {
			end = k.Start
		}
	}
	end = end / MiB * MiB
	root.Size = end - root.Start
	if root.Size < MinRootSize {
		limit := "the end of the disk"
		for _, k := range kept {
			if k.Start >= root.Start && k.Start/MiB*MiB == end {
				limit = "kept " + k.String()
			}
		}
		return nil, fmt.Errorf("root (partition %d) would be %d MiB, from %d MiB up to %s; it needs at least %d MiB: keep fewer partitions or move them",
			Root, max(root.Size, 0)/MiB, root.Start/MiB, limit, MinRootSize/MiB)
	}
	return parts, nil
}

// keptRanges lists the byte ranges of kept partitions, for Wipe.
func keptRanges(kept []Kept) [][2]int64 {
	var r [][2]int64
	for _, k := range kept {
		r = append(r, [2]int64{k.Start, k.End()})
	}
	return r
}

// subtract returns [off, off+n) minus the ranges in holes.
func subtract(off, n int64, holes [][2]int64) [][2]int64 {
	out := [][2]int64{{off, off + n}}
	for _, h := range holes {
		var next [][2]int64
		for _, r := range out {
			if h[1] <= r[0] || h[0] >= r[1] {
				next = append(next, r)
				continue
			}
			if r[0] < h[0] {
				next = append(next, [2]int64{r[0], h[0]})
			}
			if h[1] < r[1] {
				next = append(next, [2]int64{h[1], r[1]})
			}
		}
		out = next
	}
	return out
}
