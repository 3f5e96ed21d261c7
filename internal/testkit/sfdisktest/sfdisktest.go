// Package sfdisktest reads a partition table as util-linux's sfdisk sees it:
// an outside view for the tests of the code that writes one (package
// partition and the installer).
package sfdisktest

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/altcos/altcos-tools/internal/run"
)

// Table is what `sfdisk --json` shows of a partition table; starts and
// sizes are in sectors of SectorSize bytes.
type Table struct {
	Label      string      `json:"label"`
	SectorSize int         `json:"sectorsize"`
	Partitions []Partition `json:"partitions"`
}

// Partition is one entry of a Table.
type Partition struct {
	Node  string `json:"node"`
	Start int64  `json:"start"`
	Size  int64  `json:"size"`
	Type  string `json:"type"`
	Name  string `json:"name"`
}

// Read reads the partition table of path, an image file or a block device;
// ok is false when sfdisk finds none.
func Read(t *testing.T, path string) (tab Table, ok bool) {
	t.Helper()
	out, err := run.Output(context.Background(), nil, run.Cmd{Argv: []string{"sfdisk", "--json", path}})
	if err != nil || len(bytes.TrimSpace(out)) == 0 {
		return tab, false
	}
	var doc struct {
		PartitionTable Table `json:"partitiontable"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("sfdisk --json %s: %v: %s", path, err, out)
	}
	return doc.PartitionTable, true
}
