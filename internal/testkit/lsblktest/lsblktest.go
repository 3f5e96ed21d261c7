// Package lsblktest checks a listing of block devices against what lsblk
// shows on this machine: the disk listing of package disks and the
// installer's `list-disks --json` are both held to it.
package lsblktest

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/internal/run"
)

// Row is what is compared with lsblk for one device: size, type, read-only
// and its sorted mount points.
type Row struct {
	Size   int64
	Type   string
	RO     bool
	Mounts string
}

// NewRow makes a Row, sorting the mount points.
func NewRow(size int64, typ string, ro bool, mounts []string) Row {
	m := append([]string(nil), mounts...)
	sort.Strings(m)
	return Row{size, typ, ro, fmt.Sprint(m)}
}

type dev struct {
	Name        string    `json:"name"`
	Size        int64     `json:"size"`
	Type        string    `json:"type"`
	RO          bool      `json:"ro"`
	Mountpoints []*string `json:"mountpoints"`
	Children    []dev     `json:"children"`
}

// Parse reads the rows of every device, children included, from JSON shaped
// as `lsblk -b -J -o NAME,SIZE,TYPE,RO,MOUNTPOINTS` prints it.
func Parse(t *testing.T, out []byte) map[string]Row {
	t.Helper()
	var doc struct {
		Blockdevices []dev `json:"blockdevices"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("lsblk JSON %q: %v", out, err)
	}
	rows := map[string]Row{}
	var walk func([]dev)
	walk = func(ds []dev) {
		for _, d := range ds {
			var m []string
			for _, p := range d.Mountpoints {
				if p != nil {
					m = append(m, *p)
				}
			}
			rows[d.Name] = NewRow(d.Size, d.Type, d.RO, m)
			walk(d.Children)
		}
	}
	walk(doc.Blockdevices)
	return rows
}

// Rows runs lsblk on this machine and returns its rows.
func Rows(t *testing.T) map[string]Row {
	t.Helper()
	out, err := run.Output(context.Background(), nil, run.Cmd{Argv: []string{"lsblk", "-b", "-J", "-o", "NAME,SIZE,TYPE,RO,MOUNTPOINTS"}})
	if err != nil {
		t.Fatal(err)
	}
	return Parse(t, out)
}

// Agree compares ours, the rows that what listed, with lsblk's before and
// after it. Loop devices of other tests may come and go meanwhile: only
// devices that lsblk showed the same before and after are compared, and
// every one of them must match. It fails t when none was stable.
func Agree(t *testing.T, what string, before, after, ours map[string]Row) {
	t.Helper()
	compared := 0
	for name, want := range before {
		if a, ok := after[name]; !ok || a != want {
			continue // changed while we looked
		}
		compared++
		if got, ok := ours[name]; !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("%s %s = %+v (shown %v), lsblk says %+v", what, name, got, ok, want)
		}
	}
	for name := range ours {
		_, b := before[name]
		_, a := after[name]
		if !b && !a && !strings.HasPrefix(name, "loop") { // loop devices of parallel tests come and go
			t.Errorf("%s shows %s, lsblk does not", what, name)
		}
	}
	if compared == 0 {
		t.Fatalf("lsblk showed no stable device to compare")
	}
	t.Logf("%d devices agree with lsblk", compared)
}
