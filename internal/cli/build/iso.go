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
//	altcos-build iso customize [--dest-device DEV] [--dest-ignition FILE] [--dest-console C]... [--dest-karg-append K]...
//	                 [--dest-karg-delete K]... [--pre-install F]... [--post-install F]... [--installer-config F]...
//	                 [--live-karg-append K]... [--live-karg-delete K]... [--live-karg-replace K=OLD=NEW]...
//	                 [--network-unit FILE]... [--platform P] [--no-reboot] -o OUT.iso IN.iso
//	altcos-build iso inspect ISO
//	altcos-build iso ignition embed [-i CONFIG] [-f] [-o OUT.iso] ISO | show ISO | remove [-o OUT.iso] ISO
//	altcos-build iso kargs modify [--append K]... [--delete K]... [--replace K=OLD=NEW]... [-o OUT.iso] ISO
//	altcos-build iso kargs show [--default] ISO | reset [-o OUT.iso] ISO
//	altcos-build iso reset [-o OUT.iso] ISO
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
		case "ignition":
			return runISOIgnition(ctx, args[1:], io)
		case "kargs":
			return runISOKargs(ctx, args[1:], io)
		case "reset":
			return runISOReset(ctx, args[1:], io)
		case "initramfs":
			return runISOInitramfs(ctx, args[1:], io)
		}
	}
	fs := cli.NewFlagSet("iso", "usage: altcos-build iso --repo R [--stream S] --archive DIR -o OUT.iso [flags]\n       altcos-build iso customize -h\n       altcos-build iso inspect ISO\n       altcos-build iso ignition embed|show|remove, iso kargs modify|show|reset, iso reset (-h each)", io.Err)
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
	if r.Info.BuiltLiveArgs != nil {
		fmt.Fprintf(io.Out, "live kargs as built: %s\n", strings.Join(*r.Info.BuiltLiveArgs, " "))
	}
	printCustomization(io.Out, r.Customization, r.Ignition, r.Files)
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
