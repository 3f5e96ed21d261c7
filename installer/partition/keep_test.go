package partition

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseIndexRange(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want IndexRange
		bad  bool
	}{
		{"5", IndexRange{5, 5}, false}, {"5-", IndexRange{5, 0}, false}, {"-6", IndexRange{1, 6}, false}, {"5-7", IndexRange{5, 7}, false},
		{"0", IndexRange{}, true}, {"-", IndexRange{}, true}, {"7-5", IndexRange{}, true}, {"x", IndexRange{}, true}, {"5-x", IndexRange{}, true}, {"", IndexRange{}, true},
	} {
		got, err := ParseIndexRange(tt.in)
		if (err != nil) != tt.bad || (!tt.bad && got != tt.want) {
			t.Errorf("ParseIndexRange(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.bad)
		}
	}
}

func TestSelect(t *testing.T) {
	all := []Kept{
		{Part: Part{Number: 1, Name: "BIOS-BOOT"}}, {Part: Part{Number: 5, Name: "data"}},
		{Part: Part{Number: 6, Name: "data-logs"}}, {Part: Part{Number: 7, Name: "scratch"}},
	}
	for _, tt := range []struct {
		sel  Selector
		want []int
	}{
		{Selector{Labels: []string{"data"}}, []int{5}},
		{Selector{Labels: []string{"data*"}}, []int{5, 6}},
		{Selector{Indexes: []string{"6-"}}, []int{6, 7}},
		{Selector{Indexes: []string{"-1", "7"}}, []int{1, 7}},
		{Selector{Labels: []string{"nothing"}}, nil},
	} {
		got, err := tt.sel.Select(all)
		var nums []int
		for _, k := range got {
			nums = append(nums, k.Number)
			if k.Why == "" {
				t.Errorf("Select(%+v): partition %d has no reason", tt.sel, k.Number)
			}
		}
		if err != nil || !reflect.DeepEqual(nums, tt.want) {
			t.Errorf("Select(%+v) = %v, %v; want %v", tt.sel, nums, err, tt.want)
		}
	}
	if _, err := (Selector{Labels: []string{"[a"}}).Select(all); err == nil {
		t.Errorf("Select(bad glob) = nil error, want one")
	}
}

// TestLayoutKeep: root grows up to the first kept partition after it or
// the end of the disk; kept partitions where the fixed partitions go, with
// a layout number, or leaving root too small are refused, naming both.
func TestLayoutKeep(t *testing.T) {
	for _, ss := range []int{512, 4096} {
		kept := func(n int, name string, startMiB, sizeMiB int64) Kept {
			return Kept{Part: Part{Number: n, Name: name, Type: TypeLinux, Start: startMiB * MiB, Size: sizeMiB * MiB}, GUID: "G"}
		}
		tail := int64(8*gib/MiB - 1024) // a data partition in the last GiB
		tests := []struct {
			name    string
			kept    []Kept
			rootEnd int64 // MiB
			err     string
		}{
			{"none", nil, 8*gib/MiB - 1, ""},
			{"kept at the end", []Kept{kept(5, "data", tail, 1023)}, tail, ""},
			{"kept in the middle", []Kept{kept(6, "logs", tail, 100), kept(5, "data", 4096, 1024)}, 4096, ""},
			{"kept at an odd place", []Kept{{Part: Part{Number: 5, Name: "data", Start: 4096*MiB + 3*4096, Size: MiB}}}, 4096, ""},
			{"kept before the layout", []Kept{{Part: Part{Number: 9, Name: "tiny", Start: 34 * 4096, Size: 4096}}}, 8*gib/MiB - 1, ""},
			{"overlaps the ESP", []Kept{kept(5, "data", 100, 100)}, 0, `kept partition 5 "data" (100-200 MiB) overlaps EFI-SYSTEM (partition 2, 2-129 MiB)`},
			{"overlaps boot", []Kept{kept(5, "data", 500, 100)}, 0, `kept partition 5 "data" (500-600 MiB) overlaps boot (partition 3, 129-513 MiB)`},
			{"layout number", []Kept{kept(4, "data", tail, 100)}, 0, `kept partition 4 "data" (7168-7268 MiB) has number 4, which the new layout gives to root`},
			{"root too small", []Kept{kept(5, "data", 600, 100)}, 0, `root (partition 4) would be 87 MiB, from 513 MiB up to kept partition 5 "data" (600-700 MiB)`},
			{"past the disk", []Kept{kept(5, "data", 8*gib/MiB-1, 1)}, 0, "ends past the disk's last usable sector"},
		}
		for _, tt := range tests {
			parts, err := LayoutKeep(8*gib, ss, tt.kept)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("LayoutKeep(%d, %s) = %v, want an error containing %q", ss, tt.name, err, tt.err)
				}
				continue
			}
			if err != nil {
				t.Errorf("LayoutKeep(%d, %s) = %v", ss, tt.name, err)
				continue
			}
			base, _ := Layout(8*gib, ss)
			if !reflect.DeepEqual(parts[:3], base[:3]) || parts[3].Start != base[3].Start || parts[3].End() != tt.rootEnd*MiB {
				t.Errorf("LayoutKeep(%d, %s) = %+v, want the fixed partitions and root ending at %d MiB", ss, tt.name, parts, tt.rootEnd)
			}
		}
	}
}

// TestWriteKeepReadBack: a table written with kept partitions reads back
// with their entries as they were, at both sector sizes.
func TestWriteKeepReadBack(t *testing.T) {
	for _, ss := range []int{512, 4096} {
		f, err := os.Create(filepath.Join(t.TempDir(), "disk.img"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		f.Truncate(8 * gib)
		k := Kept{Part: Part{Number: 7, Name: "data", Type: TypeLinux, Start: 7 * gib, Size: 512 * MiB},
			GUID: "0C6A9F1E-1B4D-4E55-9C3B-2F4B1A7D9E01", Attributes: 1<<60 | 1}
		parts, err := LayoutKeep(8*gib, ss, []Kept{k})
		if err != nil {
			t.Fatal(err)
		}
		if err := Write(f, 8*gib, ss, parts, k); err != nil {
			t.Fatal(err)
		}
		got, err := ReadTable(f, ss)
		if err != nil || len(got) != 5 {
			t.Fatalf("ReadTable(%d) = %+v, %v; want 5 partitions", ss, got, err)
		}
		if !reflect.DeepEqual(got[4], k) {
			t.Errorf("ReadTable(%d) kept entry = %+v, want %+v", ss, got[4], k)
		}
		// A restore writes a table with the kept partition alone.
		if err := Write(f, 8*gib, ss, nil, k); err != nil {
			t.Fatal(err)
		}
		if got, err := ReadTable(f, ss); err != nil || len(got) != 1 || !reflect.DeepEqual(got[0], k) {
			t.Errorf("ReadTable(%d) after a restore = %+v, %v; want the kept partition alone", ss, got, err)
		}
	}
	f, _ := os.Create(filepath.Join(t.TempDir(), "empty.img"))
	defer f.Close()
	f.Truncate(64 * MiB)
	if _, err := ReadTable(f, 512); err != ErrNoGPT {
		t.Errorf("ReadTable(empty) = %v, want ErrNoGPT", err)
	}
	mbr := make([]byte, 512)
	mbr[446+4], mbr[510], mbr[511] = 0x83, 0x55, 0xaa
	f.WriteAt(mbr, 0)
	if _, err := ReadTable(f, 512); err == nil || !strings.Contains(err.Error(), "MBR (DOS) partition table") {
		t.Errorf("ReadTable(MBR disk) = %v, want an MBR error", err)
	}
}

// TestWipeKeep: Wipe never writes into a kept partition, even one in the
// first or last MiB.
func TestWipeKeep(t *testing.T) {
	parts, _ := Layout(8*gib, 512)
	kept := []Kept{{Part: Part{Number: 9, Start: 34 * 512, Size: 8 * 512}}, {Part: Part{Number: 5, Start: 8*gib - MiB - 100*MiB, Size: 100*MiB + MiB/2}}}
	d := &faultyDisk{failAfter: -1}
	if err := Wipe(d, 8*gib, parts, kept...); err != nil {
		t.Fatal(err)
	}
	for off, n := range d.writes {
		for _, k := range kept {
			if off < k.End() && k.Start < off+int64(n) {
				t.Errorf("Wipe wrote %d bytes at %d, into kept partition %d", n, off, k.Number)
			}
		}
	}
	if d.writes[0] != 34*512 || d.writes[8*gib-MiB/2] != MiB/2 {
		t.Errorf("Wipe wrote %v; want the MBR and GPT up to the kept partition, and the backup GPT after the other", d.writes)
	}
}
