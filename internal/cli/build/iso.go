package buildcli

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/image"
	"github.com/altcos/altcos-tools/image/iso"
	"github.com/altcos/altcos-tools/internal/cli"
	"github.com/altcos/altcos-tools/internal/stdio"
)

// artifactFlags are shared by iso, pxe and qcow2: where the OS comes from.
type artifactFlags struct {
	repo, rev, arch, stream, tree, archive, initramfs, src, cache, out string
	verbose                                                            bool
}

func (a *artifactFlags) register(fs *flag.FlagSet, needArchive bool) {
	fs.StringVar(&a.repo, "repo", "", "ostree repository holding the commit")
	fs.StringVar(&a.stream, "stream", altcos.DefaultStream, "stream: the commit is the head of "+altcos.Ref("<arch>", "<stream>")+" (unless --rev)")
	fs.StringVar(&a.arch, "arch", altcos.DefaultArch, "architecture in the stream's ref")
	fs.StringVar(&a.rev, "rev", "", "ref or commit to build from (default: the stream's ref)")
	fs.StringVar(&a.tree, "tree", "", "an OS tree folder to take kernel, modules and GRUB from instead of checking out the commit")
	if needArchive {
		fs.StringVar(&a.archive, "archive", "", "folder with deploy.tar.zst and deploy.json (altcos-build sysroot)")
	}
	fs.StringVar(&a.initramfs, "initramfs", "", "a live initramfs built before (default: build it)")
	fs.StringVar(&a.src, "src", ".", "altcos-tools source folder (go.mod): the live initramfs's Go programs are built from it")
	fs.StringVar(&a.cache, "cache", "", "cache folder for commit checkouts (default: $CACHE or .cache)")
	fs.StringVar(&a.out, "o", "", "output")
	fs.BoolVar(&a.verbose, "v", false, "log every command run")
}

func (a *artifactFlags) logger(io stdio.Stdio) *slog.Logger { return cli.Logger(io.Err, a.verbose) }

func (a *artifactFlags) cacheDir() string {
	if a.cache != "" {
		return a.cache
	}
	if c := os.Getenv("CACHE"); c != "" {
		return c
	}
	return ".cache"
}

// osTree returns --tree, or a checkout of the commit.
func (a *artifactFlags) osTree(ctx context.Context, log *slog.Logger) (string, error) {
	if a.tree != "" {
		return a.tree, nil
	}
	if a.repo == "" {
		return "", &stdio.UsageError{Msg: "give --repo (and --stream or --rev), or --tree"}
	}
	rev := a.rev
	if rev == "" {
		if err := altcos.ValidateArch(a.arch); err != nil {
			return "", err
		}
		if err := altcos.ValidateStream(a.stream); err != nil {
			return "", err
		}
		rev = altcos.Ref(a.arch, a.stream)
	}
	return image.CheckoutTree(ctx, log, a.repo, rev, filepath.Join(a.cacheDir(), "checkouts"))
}

// liveInitramfs returns --initramfs, or builds one into dir.
func (a *artifactFlags) liveInitramfs(ctx context.Context, log *slog.Logger, tree, dir string) (string, error) {
	if a.initramfs != "" {
		return a.initramfs, nil
	}
	out := filepath.Join(dir, "initramfs.img")
	log.Info("building the live initramfs (u-root)", "tree", tree)
	err := image.BuildLiveInitramfs(ctx, image.LiveInitramfsOptions{Tree: tree, Output: out, SourceDir: a.src, TempDir: dir, Log: log})
	return out, err
}

// runISO is `altcos-build iso`:
//
//	altcos-build iso --repo R [--stream S | --rev REV] --archive DIR -o OUT.iso
//	                 [--tree DIR] [--initramfs FILE] [--label L] [--live-karg K]... [--src DIR] [-v]
//	altcos-build iso customize --dest-device DEV [--dest-ignition FILE] [--dest-karg-append K]...
//	                 [--dest-karg-delete K]... [--live-karg-append K]... [--platform P]
//	                 [--network-unit FILE]... -o OUT.iso IN.iso
//	altcos-build iso inspect ISO
//	altcos-build iso initramfs --repo R [--stream S | --rev REV | --tree DIR] -o FILE
//
// The kernel and GRUB come from the commit (checked out into the cache), the
// deploy archive from --archive. SOURCE_DATE_EPOCH makes the ISO reproducible.
func runISO(ctx context.Context, args []string, io stdio.Stdio) error {
	if len(args) > 0 {
		switch args[0] {
		case "customize":
			return runISOCustomize(ctx, args[1:], io)
		case "inspect":
			return runISOInspect(ctx, args[1:], io)
		case "initramfs":
			return runISOInitramfs(ctx, args[1:], io)
		}
	}
	fs := cli.NewFlagSet("iso", "usage: altcos-build iso --repo R [--stream S] --archive DIR -o OUT.iso [flags]\n       altcos-build iso customize -h\n       altcos-build iso inspect ISO", io.Err)
	var a artifactFlags
	a.register(fs, true)
	label := fs.String("label", "", "volume label (default: ALTCOS-<STREAM>-<VERSION>)")
	var liveArgs cli.List
	fs.Var(&liveArgs, "live-karg", "kernel argument added to every live menu entry (repeatable)")
	if help, err := cli.ParseFlags(fs, args); help || err != nil {
		return err
	}
	if a.out == "" || a.archive == "" || fs.NArg() != 0 {
		return &stdio.UsageError{Msg: "iso needs -o OUT.iso and --archive DIR; run `altcos-build iso -h`"}
	}
	epoch, err := cli.SourceDateEpoch()
	if err != nil {
		return err
	}
	log := a.logger(io)
	tree, err := a.osTree(ctx, log)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp(filepath.Dir(a.out), ".iso-work-")
	if err != nil {
		return fmt.Errorf("work folder next to %s: %w", a.out, err)
	}
	defer os.RemoveAll(work)
	initrd, err := a.liveInitramfs(ctx, log, tree, work)
	if err != nil {
		return err
	}
	start := time.Now()
	err = iso.Build(ctx, iso.Options{
		Output: a.out, Tree: tree, Initramfs: initrd, ArchiveDir: a.archive,
		Label: *label, LiveArgs: liveArgs, Epoch: epoch, TempDir: work, Log: log,
	})
	if err != nil {
		return err
	}
	st, _ := os.Stat(a.out)
	fmt.Fprintf(io.Out, "%s: live ISO, %d MiB, in %s\n", a.out, st.Size()>>20, time.Since(start).Round(time.Second/10))
	return nil
}

func runISOCustomize(ctx context.Context, args []string, io stdio.Stdio) error {
	fs := cli.NewFlagSet("iso customize", "usage: altcos-build iso customize --dest-device DEV [--dest-ignition FILE] [flags] -o OUT.iso IN.iso", io.Err)
	var o iso.CustomizeOptions
	fs.StringVar(&o.Output, "o", "", "the customized ISO to write")
	fs.StringVar(&o.DestDevice, "dest-device", "", "disk to install to when the ISO boots, e.g. /dev/vda")
	fs.StringVar(&o.IgnitionFile, "dest-ignition", "", "Ignition (or Butane) config for the installed system; validated before embedding")
	fs.StringVar(&o.Platform, "platform", "", "platform of the installed system (metal, qemu)")
	fs.BoolVar(&o.NoReboot, "no-reboot", false, "stay in the live system after installing")
	var destAdd, destDel, liveAdd, netUnits, netKeyfiles cli.List
	fs.Var(&destAdd, "dest-karg-append", "kernel argument for the installed system (repeatable)")
	fs.Var(&destDel, "dest-karg-delete", "kernel argument to delete on the installed system (repeatable)")
	fs.Var(&liveAdd, "live-karg-append", "kernel argument for the live system's menu entries (repeatable)")
	fs.Var(&netUnits, "network-unit", "systemd-networkd unit (.network, .netdev, .link) for the live system and, copied, the installed one (repeatable)")
	fs.Var(&netKeyfiles, "network-keyfile", "refused: ALTCOS runs systemd-networkd; give a unit with --network-unit")
	verbose := fs.Bool("v", false, "log every command run")
	if help, err := cli.ParseFlags(fs, args); help || err != nil {
		return err
	}
	o.NetworkUnits, o.NetworkKeyfiles = netUnits, netKeyfiles
	if fs.NArg() != 1 || o.Output == "" || o.DestDevice == "" {
		return &stdio.UsageError{Msg: "iso customize needs --dest-device, -o OUT.iso and one input ISO; run `altcos-build iso customize -h`"}
	}
	o.Input = fs.Arg(0)
	o.AppendKargs, o.DeleteKargs, o.LiveArgs = destAdd, destDel, liveAdd
	o.Log = cli.Logger(io.Err, *verbose)
	if err := iso.Customize(ctx, o); err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "%s: installs onto %s unattended when booted\n", o.Output, o.DestDevice)
	return nil
}

// runISOInspect prints what an ISO carries (never the Ignition config itself).
func runISOInspect(ctx context.Context, args []string, io stdio.Stdio) error {
	if len(args) != 1 {
		return &stdio.UsageError{Msg: "iso inspect takes one ISO"}
	}
	r, err := iso.Inspect(args[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "label: %s\nstream: %s\nversion: %s\ncommit: %s\nlive kargs: %s\n", r.Info.Label, r.Info.Stream, r.Info.Version, r.Info.Commit, strings.Join(r.Info.LiveArgs, " "))
	if r.Customization == nil {
		fmt.Fprintln(io.Out, "customized: no")
		return nil
	}
	c := r.Customization
	fmt.Fprintf(io.Out, "customized: installs onto %s\nignition: %v (%d bytes)\ndest kargs append: %s\ndest kargs delete: %s\n",
		c.DestDevice, c.Ignition, len(r.Ignition), strings.Join(c.AppendKargs, " "), strings.Join(c.DeleteKargs, " "))
	for _, u := range c.NetworkUnits {
		fmt.Fprintf(io.Out, "network unit: %s (%d bytes)\n", u.Name, len(u.Data))
	}
	return nil
}

// runISOInitramfs builds only the live initramfs (u-root) for the commit's
// kernel, so iso and pxe can share one build (--initramfs).
func runISOInitramfs(ctx context.Context, args []string, io stdio.Stdio) error {
	fs := cli.NewFlagSet("iso initramfs", "usage: altcos-build iso initramfs (--repo R [--stream S] | --tree DIR) -o FILE [flags]", io.Err)
	var a artifactFlags
	a.register(fs, false)
	if help, err := cli.ParseFlags(fs, args); help || err != nil {
		return err
	}
	if a.out == "" || fs.NArg() != 0 {
		return &stdio.UsageError{Msg: "iso initramfs needs -o FILE and --repo (or --tree)"}
	}
	log := a.logger(io)
	tree, err := a.osTree(ctx, log)
	if err != nil {
		return err
	}
	dir := filepath.Dir(a.out)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	start := time.Now()
	err = image.BuildLiveInitramfs(ctx, image.LiveInitramfsOptions{Tree: tree, Output: a.out, SourceDir: a.src, TempDir: dir, Log: log})
	if err != nil {
		return err
	}
	st, _ := os.Stat(a.out)
	fmt.Fprintf(io.Out, "%s: live initramfs, %.1f MiB, in %s\n", a.out, float64(st.Size())/(1<<20), time.Since(start).Round(time.Second/10))
	return nil
}
