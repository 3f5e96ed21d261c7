package installercli

import (
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/altcos/altcos-tools/installer/disks"
	"github.com/altcos/altcos-tools/installer/planconfig"
	"github.com/altcos/altcos-tools/internal/cli"
	"github.com/altcos/altcos-tools/internal/stdio"
)

// diskJSON is one device in list-disks --json: lsblk -J's names for what
// lsblk shows, plus why the device can or cannot be the target.
type diskJSON struct {
	Name        string     `json:"name"`
	KName       string     `json:"kname"`
	Path        string     `json:"path"`
	MajMin      string     `json:"maj:min"`
	Size        int64      `json:"size"`
	Type        string     `json:"type"`
	RO          bool       `json:"ro"`
	RM          bool       `json:"rm"`
	Rota        bool       `json:"rota"`
	LogSec      int        `json:"log-sec,omitempty"`
	PhySec      int        `json:"phy-sec,omitempty"`
	Tran        string     `json:"tran,omitempty"`
	Model       string     `json:"model,omitempty"`
	Serial      string     `json:"serial,omitempty"`
	FSType      string     `json:"fstype,omitempty"`
	Label       string     `json:"label,omitempty"`
	Mountpoints []string   `json:"mountpoints"`
	Target      *bool      `json:"target,omitempty"`
	Reasons     []string   `json:"reasons,omitempty"`
	Children    []diskJSON `json:"children,omitempty"`
}

func toJSON(d *disks.Device, top bool) diskJSON {
	j := diskJSON{Name: d.Name, KName: d.KName, Path: d.Path, MajMin: d.MajMin, Size: d.Size, Type: d.Type, RO: d.ReadOnly, RM: d.Removable, Rota: d.Rotational,
		LogSec: d.LogSec, PhySec: d.PhySec, Tran: d.Transport, Model: d.Model, Serial: d.Serial, FSType: d.FSType, Label: d.Label,
		Mountpoints: append([]string{}, d.Mounts...), Reasons: d.Reasons}
	if d.Swap {
		j.Mountpoints = append(j.Mountpoints, "[SWAP]")
	}
	if top {
		ok := len(d.Reasons) == 0
		j.Target = &ok
	}
	for _, c := range d.Children {
		j.Children = append(j.Children, toJSON(c, false))
	}
	return j
}

// listDisks is `altcos-installer list-disks [--json] [--all]`.
func listDisks(args []string, io stdio.Stdio) error {
	fs := flag.NewFlagSet("list-disks", flag.ContinueOnError)
	fs.SetOutput(io.Err)
	asJSON := fs.Bool("json", false, "print JSON (lsblk -J's field names, plus target and reasons)")
	all := fs.Bool("all", false, "also list empty devices and RAM disks, as lsblk -a")
	sysroot := fs.String("sysroot", "/", "root of /sys, /proc and /dev to inspect (tests)")
	minSize := fs.String("min-disk-size", "8G", "smallest acceptable target disk")
	fs.Usage = func() {
		fmt.Fprint(io.Err, "Usage: altcos-installer list-disks [--json] [--all]\n\nThe disks as lsblk shows them, and why each can or cannot be the install target.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if help, err := cli.ParseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	min, err := parseSizeFlag(*minSize)
	if err != nil {
		return usagef("--min-disk-size %q: %v", *minSize, err)
	}
	devs, err := disks.List(*sysroot, disks.Options{All: *all, MinBytes: min})
	if err != nil {
		return err
	}
	if *asJSON {
		out := struct {
			Blockdevices []diskJSON `json:"blockdevices"`
		}{Blockdevices: []diskJSON{}}
		for _, d := range devs {
			out.Blockdevices = append(out.Blockdevices, toJSON(d, true))
		}
		enc := json.NewEncoder(io.Out)
		enc.SetIndent("", "  ")
		enc.Encode(out)
		return nil
	}
	tw := tabwriter.NewWriter(io.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSIZE\tTYPE\tTRAN\tRO\tRM\tFSTYPE\tLABEL\tMODEL\tMOUNTPOINTS\tTARGET")
	var row func(d *disks.Device, prefix string, top bool)
	row = func(d *disks.Device, prefix string, top bool) {
		target := ""
		if top {
			target = "yes"
			if len(d.Reasons) > 0 {
				target = "no: " + strings.Join(d.Reasons, "; ")
			}
		}
		mounts := append([]string{}, d.Mounts...)
		if d.Swap {
			mounts = append(mounts, "[SWAP]")
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", prefix, d.Name, disks.HumanSize(d.Size), d.Type, d.Transport,
			bit(d.ReadOnly), bit(d.Removable), d.FSType, d.Label, d.Model, strings.Join(mounts, ","), target)
		for i, c := range d.Children {
			p := strings.NewReplacer("├─", "│ ", "└─", "  ").Replace(prefix)
			if i == len(d.Children)-1 {
				row(c, p+"└─", false)
			} else {
				row(c, p+"├─", false)
			}
		}
	}
	for _, d := range devs {
		row(d, "", true)
	}
	tw.Flush()
	return nil
}

// parseSizeFlag reads a size as the install's --min-disk-size does (8G, ...).
func parseSizeFlag(s string) (int64, error) {
	p := planconfig.Defaults()
	if err := planconfig.Set(p, "min-disk-bytes", s, "flag", false); err != nil {
		return 0, err
	}
	return p.MinDiskBytes, nil
}

func bit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
