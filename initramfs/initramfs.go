// Package initramfs builds the live initramfs of the ISO and PXE boot with
// u-root's mkuimage library (uimage.Create, no shell-out to the u-root
// command):
//
//   - u-root's core commands and altcos-installer in one busybox binary,
//     gosh as the shell;
//   - altcos-live as /init (a small binary of its own): it mounts /proc,
//     /sys, /dev, loads the kernel modules, mounts the boot medium at
//     deployarchive.LiveMount, prints the hints and, when the kernel command
//     line or the medium asks for it, runs the installer unattended; then it
//     keeps a shell on the console (see initramfs/live);
//   - the external programs the installer runs (mkfs.ext4, mkfs.vfat) with
//     their ELF interpreter and shared libraries, taken from the OS tree so
//     that they match what the OS itself uses (or from the build host);
//   - the kernel modules of the OS's kernel that the live system needs, with
//     their dependencies from modules.dep.
//
// No ostree: the installer streams the deploy archive (DESIGN.md).
package initramfs

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/u-root/gobusybox/src/pkg/golang"
	"github.com/u-root/mkuimage/cpio"
	"github.com/u-root/mkuimage/uimage"
	"github.com/u-root/uio/llog"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/installer/toolset"
)

// Paths inside the initramfs read by the live init.
const (
	// ModulesListPath lists the modules the live init loads before the
	// hints, one per line; LateModulesListPath those it loads after them.
	ModulesListPath     = "etc/altcos/live-modules"
	LateModulesListPath = "etc/altcos/live-modules-late"
	// InstallerPath is the installer program.
	InstallerPath = "bbin/altcos-installer"
)

// Packages built into the initramfs. The u-root commands resolve through the
// go.mod of the altcos-tools module (which pins u-root), so the build needs
// that module's source (GoModuleDir) and the Go toolchain.
var (
	CorePackages = []string{
		// An operator's toolbox at the console: files, mounts, processes,
		// kernel log and modules, network (DHCP, ip, ping, wget), hashes,
		// power. Fewer commands make a smaller initramfs, which the kernel
		// unpacks faster (see BenchmarkBootToHints).
		"gosh",
		"cat", "chmod", "cp", "date", "df", "dhclient", "dmesg", "echo", "false", "find", "free",
		"grep", "head", "hexdump", "hostname", "id", "insmod", "ip", "kill", "ln", "losetup", "ls",
		"lsmod", "md5sum", "mkdir", "mknod", "more", "mount", "mv", "ping", "poweroff", "printenv",
		"ps", "pwd", "readlink", "realpath", "rm", "rmmod", "shasum", "shutdown", "sleep", "stty",
		"sync", "tail", "tee", "touch", "true", "umount", "uname", "uptime", "wc", "wget", "which",
	}
	InstallerPackage = "github.com/altcos/altcos-tools/cmd/altcos-installer"
	LivePackage      = "github.com/altcos/altcos-tools/cmd/altcos-live"
)

// Tool is an external program the installer runs.
type Tool struct {
	Name     string // as the installer runs it (found on PATH)
	Required bool
}

// Tools are the programs the installer runs in the live system: its own
// list (toolset.External), without losetup, which only image mode
// (at build time, never in the live system) uses.
var Tools = liveTools()

func liveTools() []Tool {
	var t []Tool
	for _, n := range toolset.External {
		if n != "losetup" {
			t = append(t, Tool{Name: n, Required: true})
		}
	}
	return t
}

// toolDirs are searched in an OS tree for Tools; the tool lands in
// /usr/sbin of the initramfs (on u-root's PATH).
var toolDirs = []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin"}

// Options say what one initramfs is built from.
type Options struct {
	// Output is the compressed (zstd) cpio archive to write.
	Output string
	// ModulesDir is lib/modules/<kver> of the OS's kernel (modules.dep inside).
	ModulesDir string
	// KernelVersion is <kver>; the initramfs carries the modules at
	// /lib/modules/<kver>, where the live init's prober finds them.
	KernelVersion string
	// ToolsRoot is the OS tree the programs in Tools and their libraries are
	// taken from; a program the tree lacks is taken from the build host ("/")
	// with its libraries, and logged.
	ToolsRoot string
	// GoModuleDir is the altcos-tools source tree (go.mod), where the Go
	// commands are built.
	GoModuleDir string
	// TempDir is scratch space; "" uses os.TempDir.
	TempDir string
	Log     *slog.Logger
}

// Build writes the live initramfs to o.Output (through a temporary file
// renamed at the end, so a failure leaves no partial output).
func Build(ctx context.Context, o Options) error {
	log := cmp.Or(o.Log, slog.New(slog.DiscardHandler))
	if o.Output == "" || o.ModulesDir == "" || o.KernelVersion == "" || o.GoModuleDir == "" {
		return fmt.Errorf("initramfs: output, modules dir, kernel version and Go module dir are required")
	}
	toolsRoot := o.ToolsRoot
	if toolsRoot == "" {
		toolsRoot = "/"
	}

	// 1. Kernel modules and their dependencies.
	mods, err := ResolveModules(o.ModulesDir, RequiredModules, OptionalModules)
	if err != nil {
		return err
	}
	log.Info("kernel modules", "load", len(mods.Load), "files", len(mods.Files), "builtin", strings.Join(mods.Builtin, ","))
	for _, m := range []string{"ahci", "usb_storage", "xhci_pci"} {
		if !slices.Contains(mods.Load, m) && !slices.Contains(mods.Builtin, m) {
			// Debian's cloud kernel has neither AHCI nor USB storage: its live
			// system sees no SATA disk or CD (QEMU q35's ide-cd is on AHCI)
			// and no USB stick.
			log.Warn("the kernel has no "+m+" driver: the live system will not see devices behind it", "modules", o.ModulesDir)
		}
	}

	// 2. External programs and their libraries.
	files := FileMap{}
	for _, t := range Tools {
		root := toolsRoot
		p, err := findTool(root, t.Name)
		if err != nil && root != "/" {
			if p, err = findTool("/", t.Name); err == nil {
				log.Warn("the OS tree has no "+t.Name+"; taking it from the build host", "tree", toolsRoot)
				root = "/"
			}
		}
		if err != nil {
			if t.Required {
				return fmt.Errorf("the installer runs %s: %w", t.Name, err)
			}
			continue
		}
		if err := AddProgram(files, root, p, "/usr/sbin/"+t.Name); err != nil {
			return err
		}
		if t.Name == "mcopy" {
			// mtools converts file names through iconv (code page 850),
			// whose converters glibc loads at run time, not via DT_NEEDED.
			if err := addGconv(files, root); err != nil {
				return err
			}
		}
	}
	// mke2fs's defaults; an ALTCOS tree keeps /etc in /usr/etc.
	for _, conf := range []string{"/etc/mke2fs.conf", "/usr/etc/mke2fs.conf"} {
		if h, err := inRoot(toolsRoot, conf); err == nil {
			files["etc/mke2fs.conf"] = h
			break
		}
	}
	// The OS's release keys (compose --gpg-sign): the installer verifies
	// --image-url downloads with them (installer.DefaultKeyrings).
	if h, err := inRoot(toolsRoot, altcos.KeyringPath); err == nil {
		files[strings.TrimPrefix(altcos.KeyringPath, "/")] = h
	}
	// The example configs (examples/*.bu, *.ign) for the operator.
	if err := addExamples(files, o.GoModuleDir); err != nil {
		return err
	}
	modRoot := path.Join("lib/modules", o.KernelVersion)
	for _, f := range mods.Files {
		files[path.Join(modRoot, ArchivePath(f))] = filepath.Join(o.ModulesDir, f)
	}
	extra := make([]string, 0, len(files))
	for dst, src := range files {
		extra = append(extra, src+":"+dst)
	}
	sort.Strings(extra)

	tmp, err := os.MkdirTemp(o.TempDir, "initramfs-")
	if err != nil {
		return err
	}
	// The Go builds run in GoModuleDir: every path handed to them is absolute.
	if tmp, err = filepath.Abs(tmp); err != nil {
		return err
	}
	if o.GoModuleDir, err = filepath.Abs(o.GoModuleDir); err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	cpioPath := filepath.Join(tmp, "initramfs.cpio")

	// 3. The archive: u-root busybox + our binaries + files.
	base, err := baseArchive(mods, modRoot)
	if err != nil {
		return err
	}
	env := golang.Default(golang.WithGOOS("linux"), golang.WithGOARCH("amd64"), golang.DisableCGO(), golang.WithWorkingDir(o.GoModuleDir))
	trim := &golang.BuildOpts{ExtraArgs: []string{"-trimpath", "-ldflags=-s -w -buildid="}}
	l := llog.New(slog.LevelWarn, func(format string, v ...any) { log.Debug(fmt.Sprintf(format, v...)) })
	err = uimage.Create(l,
		uimage.WithReplaceEnv(env),
		uimage.WithTempDir(tmp),
		uimage.WithBaseArchive(base),
		// One busybox binary for u-root's commands and ours: they share the
		// Go runtime, net/http, crypto and the rest once instead of three times.
		// altcos-live is /init, a small binary of its own (see
		// initramfs/live/init_linux.go for why not u-root's init).
		uimage.WithBusyboxCommands(append(corePackagePaths(), InstallerPackage)...),
		uimage.WithBusyboxBuildOpts(trim),
		uimage.WithBinaryCommandsOpts(trim, LivePackage),
		uimage.WithInit("altcos-live"),
		uimage.WithShell("gosh"),
		uimage.WithFiles(extra...),
		// Our Go programs are static; the libraries of the tools were
		// resolved in the OS tree above, never from the build host's ldd.
		uimage.WithSkipLDD(),
		uimage.WithCPIOOutput(cpioPath),
	)
	if err != nil {
		return fmt.Errorf("build initramfs with u-root: %w", err)
	}

	// 4. Compress; the kernel unpacks zstd initramfs (CONFIG_RD_ZSTD).
	if err := compress(cpioPath, o.Output); err != nil {
		return fmt.Errorf("compress initramfs to %s: %w", o.Output, err)
	}
	return nil
}

func corePackagePaths() []string {
	p := make([]string, len(CorePackages))
	for i, c := range CorePackages {
		p[i] = "github.com/u-root/u-root/cmds/core/" + c
	}
	return p
}

// baseArchive holds what is not a file of the build host: u-root's default
// directories and device nodes, and the generated module lists.
func baseArchive(mods *ModuleSet, modRoot string) (*cpio.Archive, error) {
	a := uimage.DefaultRamfs()
	var early, late []string
	for _, m := range mods.Load {
		if slices.Contains(LateModules, m) {
			late = append(late, m)
		} else {
			early = append(early, m)
		}
	}
	recs := []cpio.Record{
		cpio.Directory("lib", 0o755),
		cpio.Directory("lib/modules", 0o755),
		cpio.Directory(modRoot, 0o755),
		cpio.StaticFile(path.Join(modRoot, "modules.dep"), mods.Dep, 0o644),
		cpio.StaticFile(path.Join(modRoot, "modules.builtin"), strings.Join(mods.Builtin, "\n")+"\n", 0o644),
		cpio.StaticFile(path.Join(modRoot, "modules.alias"), mods.Alias, 0o644),
		cpio.Directory("etc/altcos", 0o755),
		cpio.StaticFile(ModulesListPath, strings.Join(early, "\n")+"\n", 0o644),
		cpio.StaticFile(LateModulesListPath, strings.Join(late, "\n")+"\n", 0o644),
		cpio.Directory("run", 0o755),
	}
	for _, r := range recs {
		if err := a.WriteRecord(r); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// gconvDirs are where glibc keeps its iconv converters.
var gconvDirs = []string{"/usr/lib/x86_64-linux-gnu/gconv", "/usr/lib64/gconv", "/usr/lib/gconv"}

// addGconv adds glibc's iconv configuration and the DOS code page converters
// mtools uses (IBM850, IBM437) from root.
func addGconv(files FileMap, root string) error {
	for _, dir := range gconvDirs {
		if _, err := inRoot(root, path.Join(dir, "gconv-modules")); err != nil {
			continue
		}
		for _, name := range []string{"gconv-modules", "gconv-modules.cache", "IBM850.so", "IBM437.so"} {
			if h, err := inRoot(root, path.Join(dir, name)); err == nil {
				files[strings.TrimPrefix(path.Join(dir, name), "/")] = h
			}
		}
		confs, _ := filepath.Glob(filepath.Join(root, dir, "gconv-modules.d", "*.conf"))
		for _, c := range confs {
			files[strings.TrimPrefix(path.Join(dir, "gconv-modules.d", filepath.Base(c)), "/")] = c
		}
		return nil
	}
	return fmt.Errorf("mtools needs glibc's iconv converters (gconv-modules, IBM850.so), found in none of %s under %s", strings.Join(gconvDirs, " "), root)
}

func findTool(root, name string) (string, error) {
	for _, dir := range toolDirs {
		p := path.Join(dir, name)
		if _, err := inRoot(root, p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s is in none of %s under %s", name, strings.Join(toolDirs, " "), root)
}

func compress(src, dst string) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	// One encoder goroutine: the same input gives the same bytes.
	zw, err := zstd.NewWriter(tmp, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(zstd.SpeedDefault))
	if err != nil {
		return err
	}
	if _, err := io.Copy(zw, in); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

// addExamples maps the example configs of the source tree's examples/ to
// altcos.ExamplesDir in the live system.
func addExamples(files FileMap, srcDir string) error {
	var found []string
	for _, pat := range []string{"*.bu", "*.ign"} {
		m, err := filepath.Glob(filepath.Join(srcDir, "examples", pat))
		if err != nil {
			return err
		}
		found = append(found, m...)
	}
	if len(found) == 0 {
		return fmt.Errorf("no example configs in %s: the live system's hints name %s", filepath.Join(srcDir, "examples"), altcos.PasswordExample)
	}
	for _, f := range found {
		abs, err := filepath.Abs(f)
		if err != nil {
			return err
		}
		files[path.Join(strings.TrimPrefix(altcos.ExamplesDir, "/"), filepath.Base(f))] = abs
	}
	return nil
}
