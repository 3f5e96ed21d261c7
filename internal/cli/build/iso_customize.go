package buildcli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/altcos/altcos-tools/image/iso"
	"github.com/altcos/altcos-tools/image/pxe"
	"github.com/altcos/altcos-tools/initramfs/live"
	"github.com/altcos/altcos-tools/internal/cli"
	"github.com/altcos/altcos-tools/internal/stdio"
)

// customizeFlags are the options of `iso customize` and `pxe customize`,
// with coreos-installer's names and meanings.
type customizeFlags struct {
	o                                          iso.CustomizeOptions
	destAdd, destDel, consoles, pre, post, cfg cli.List
	liveAdd, liveDel, liveRepl                 cli.List
	netUnits, netKeyfiles                      cli.List
	verbose                                    bool
}

func (f *customizeFlags) register(fs *flag.FlagSet, live bool) {
	o := &f.o
	fs.StringVar(&o.Output, "o", "", "the customized image to write")
	fs.StringVar(&o.DestDevice, "dest-device", "", "disk to install to when the image boots, e.g. /dev/vda (overwritten without confirmation)")
	fs.StringVar(&o.IgnitionFile, "dest-ignition", "", "Ignition (or Butane) config for the installed system; validated before embedding")
	fs.Var(&f.consoles, "dest-console", "kernel and GRUB console of the installed system, as console= takes it, e.g. ttyS0,115200n8 (repeatable)")
	fs.Var(&f.destAdd, "dest-karg-append", "kernel argument for the installed system (repeatable)")
	fs.Var(&f.destDel, "dest-karg-delete", "kernel argument to delete on the installed system (repeatable)")
	fs.Var(&f.pre, "pre-install", "program the installer runs before the first write; embedded (repeatable)")
	fs.Var(&f.post, "post-install", "program the installer runs after the install, filesystems mounted; embedded (repeatable)")
	fs.Var(&f.cfg, "installer-config", "installer.d YAML file (altcos-installer's keys); embedded, applied in this order before kernel arguments; starts an install (repeatable)")
	fs.Var(&f.netUnits, "network-unit", "systemd-networkd unit (.network, .netdev, .link) for the live system and, copied, the installed one (repeatable)")
	fs.Var(&f.netKeyfiles, "network-keyfile", "refused: ALTCOS runs systemd-networkd; give a unit with --network-unit")
	fs.StringVar(&o.Platform, "platform", "", "platform of the installed system (metal, qemu)")
	fs.BoolVar(&o.NoReboot, "no-reboot", false, "stay in the live system after installing")
	if live {
		fs.Var(&f.liveAdd, "live-karg-append", "kernel argument for the live system's menu entries (repeatable)")
		fs.Var(&f.liveDel, "live-karg-delete", "live kernel argument to delete: KEY=VALUE, or KEY for every value (repeatable)")
		fs.Var(&f.liveRepl, "live-karg-replace", "live kernel argument to change: KEY=OLD=NEW (repeatable)")
	}
	fs.BoolVar(&f.verbose, "v", false, "log every command run")
}

// options are the parsed flags as CustomizeOptions, input in.
func (f *customizeFlags) options(in string, io stdio.Stdio) iso.CustomizeOptions {
	o := f.o
	o.Input = in
	o.AppendKargs, o.DeleteKargs, o.DestConsole = f.destAdd, f.destDel, f.consoles
	o.PreInstall, o.PostInstall, o.InstallerConfigs = f.pre, f.post, f.cfg
	o.LiveArgs, o.LiveDeleteArgs, o.LiveReplaceArgs = f.liveAdd, f.liveDel, f.liveRepl
	o.NetworkUnits, o.NetworkKeyfiles = f.netUnits, f.netKeyfiles
	o.Log = cli.Logger(io.Err, f.verbose)
	return o
}

const noLiveIgnition = `
There is no --live-ignition: the live system runs no Ignition (it is a small
initramfs whose init installs by itself); --dest-* options, hooks and
--installer-config files drive it.`

func runISOCustomize(ctx context.Context, args []string, io stdio.Stdio) error {
	fs := cli.NewFlagSet("iso customize", "usage: altcos-build iso customize [--dest-device DEV] [--dest-ignition FILE] [flags] -o OUT.iso IN.iso"+noLiveIgnition+"\n", io.Err)
	var f customizeFlags
	f.register(fs, true)
	if help, err := cli.ParseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 || f.o.Output == "" {
		return &stdio.UsageError{Msg: "iso customize needs -o OUT.iso and one input ISO, and --dest-device (or an --installer-config naming it) or --live-karg-*; run `altcos-build iso customize -h`"}
	}
	o := f.options(fs.Arg(0), io)
	if err := iso.Customize(ctx, o); err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "%s: %s\n", o.Output, customizedSummary(o))
	return nil
}

// runPXECustomize is `altcos-build pxe customize`: a live initramfs for PXE
// that installs unattended (the customization as one more cpio segment).
//
//	altcos-build pxe customize [--dest-device DEV] [--dest-* ...] -o OUT.img INITRAMFS.img
//	altcos-build pxe inspect INITRAMFS.img
func runPXECustomize(ctx context.Context, args []string, io stdio.Stdio) error {
	fs := cli.NewFlagSet("pxe customize", "usage: altcos-build pxe customize [--dest-device DEV] [--dest-ignition FILE] [flags] -o OUT.img INITRAMFS.img\n"+
		"Writes the live initramfs with the customization appended (a PXE boot's live kernel arguments are its PXE config's)."+noLiveIgnition+"\n", io.Err)
	var f customizeFlags
	f.register(fs, false)
	if help, err := cli.ParseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 || f.o.Output == "" {
		return &stdio.UsageError{Msg: "pxe customize needs -o OUT.img and one live initramfs, and --dest-device (or an --installer-config naming it); run `altcos-build pxe customize -h`"}
	}
	o := f.options(fs.Arg(0), io)
	if err := pxe.Customize(ctx, o); err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "%s: %s (boot it as the PXE initramfs, with the rootfs beside it as before)\n", o.Output, customizedSummary(o))
	return nil
}

func runPXEInspect(ctx context.Context, args []string, io stdio.Stdio) error {
	if len(args) != 1 {
		return &stdio.UsageError{Msg: "pxe inspect takes one live initramfs"}
	}
	r, err := pxe.Inspect(args[0])
	if err != nil {
		return err
	}
	printCustomization(io.Out, r.Customization, r.Ignition, r.Files)
	return nil
}

func customizedSummary(o iso.CustomizeOptions) string {
	switch {
	case o.DestDevice != "":
		return "installs onto " + o.DestDevice + " unattended when booted"
	case len(o.InstallerConfigs) > 0:
		return "installs unattended when booted, onto the disk of its installer configs"
	}
	return "live kernel arguments changed"
}

// printCustomization prints what a customization holds (never the Ignition
// config itself: `iso ignition show` prints it).
func printCustomization(w io.Writer, c *live.Customization, ign []byte, files map[string][]byte) {
	if c == nil {
		fmt.Fprintln(w, "customized: no")
		return
	}
	dev := c.DestDevice
	if dev == "" && len(c.InstallerConfigs) > 0 {
		dev = "(the installer configs')"
	} else if dev == "" {
		dev = "(none: an install started by kernel arguments gets the rest)"
	}
	fmt.Fprintf(w, "customized: installs onto %s\nignition: %v (%d bytes)\ndest kargs append: %s\ndest kargs delete: %s\ndest console: %s\n",
		dev, c.Ignition, len(ign), strings.Join(c.AppendKargs, " "), strings.Join(c.DeleteKargs, " "), strings.Join(c.DestConsole, " "))
	fmt.Fprintf(w, "pre-install: %s\npost-install: %s\ninstaller configs: %s\nplatform: %s\nno reboot: %v\n",
		strings.Join(c.PreInstall, " "), strings.Join(c.PostInstall, " "), strings.Join(c.InstallerConfigs, " "), c.Platform, c.NoReboot)
	for _, u := range c.NetworkUnits {
		fmt.Fprintf(w, "network unit: %s (%d bytes)\n", u.Name, len(u.Data))
	}
	var names []string
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "file %s: %d bytes\n", n, len(files[n]))
	}
}
