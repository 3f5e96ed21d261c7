// Package testos composes the Debian-based test OS: an OS tree of the same
// architecture as ALTCOS, made with mmdebstrap from Debian bookworm packages,
// because ALT packages are not reachable from here. Each stream has its
// package list, streams/<stream>.txt (StreamList). The tree is cached under <cache>/<hash of the inputs>/tree and reused while
// the inputs (suite, mirror, package list, mmdebstrap options) stay the
// same; <cache>/tree links to the newest one. `altcos-build compose` turns
// it into a commit.
package testos

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/altcos/altcos-tools/internal/run"
)

// Defaults of Options.
const (
	DefaultSuite  = "bookworm"
	DefaultMirror = "http://deb.debian.org/debian"
)

// Options are the inputs of Build.
type Options struct {
	// Packages is the package list file (StreamList: testos/streams/<stream>.txt).
	Packages string
	// Cache is the cache folder (.cache/testos).
	Cache  string
	Suite  string // DefaultSuite when empty
	Mirror string // DefaultMirror when empty
	Log    *slog.Logger
}

// Result says where the tree is.
type Result struct {
	Tree   string // <cache>/<key>/tree
	Key    string
	Reused bool // the cache had it
}

// StreamList is the package list of stream in the folder testos (the
// project's testos/): testos/streams/<stream>.txt.
func StreamList(testos, stream string) string {
	return filepath.Join(testos, "streams", stream+".txt")
}

// ReadPackages reads a package list: one name a line, '#' starts a comment.
func ReadPackages(r io.Reader) ([]string, error) {
	var pkgs []string
	seen := map[string]bool{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if strings.ContainsAny(line, " \t,") {
			return nil, fmt.Errorf("line %d: %q is not one package name", n, line)
		}
		if seen[line] {
			return nil, fmt.Errorf("line %d: package %s listed twice", n, line)
		}
		seen[line] = true
		pkgs = append(pkgs, line)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(pkgs) == 0 {
		return nil, errors.New("no packages listed")
	}
	return pkgs, nil
}

// networkHook is the test OS's network: systemd-networkd with DHCP on every
// Ethernet link (QEMU's user network; machine tests reach the host at
// 10.0.2.2), enabled by a customize hook since Debian enables no network
// manager without ifupdown.
const networkHook = `printf '[Match]\nType=ether\n\n[Network]\nDHCP=yes\n' > "$1/etc/systemd/network/80-altcos-dhcp.network" && chroot "$1" systemctl enable systemd-networkd.service`

// MmdebstrapArgs builds the mmdebstrap command line for the test OS tree at
// target: root mode (real owners and device nodes, as a build host makes
// them), essential packages plus apt plus pkgs, no Recommends (the list
// says everything the OS has), DHCP networking.
func MmdebstrapArgs(suite, mirror string, pkgs []string, target string) []string {
	argv := []string{"mmdebstrap", "--mode=root", "--variant=apt",
		`--aptopt=APT::Install-Recommends "false"`}
	for _, p := range pathExcludes {
		argv = append(argv, "--dpkgopt=path-exclude="+p)
	}
	for _, p := range pathIncludes {
		argv = append(argv, "--dpkgopt=path-include="+p)
	}
	return append(argv,
		"--include="+strings.Join(pkgs, ","),
		"--customize-hook="+networkHook,
		suite, target, mirror)
}

// pathExcludes keep the OS lean: no documentation or translations (a
// console OS in C.UTF-8), and none of the generic kernel's module classes a
// container host has no use for (sound, cameras and TV cards, Wi-Fi and
// Bluetooth, InfiniBand, industrial I/O, staging drivers): about a third of
// its modules. Storage, USB, Ethernet, filesystems, input and GPU consoles
// stay. dpkg never unpacks these paths, so depmod in the kernel's postinst
// sees a consistent set.
var pathExcludes = []string{
	"/usr/share/doc/*", "/usr/share/man/*", "/usr/share/info/*", "/usr/share/locale/*",
	"/lib/modules/*/kernel/sound/*", "/lib/modules/*/kernel/drivers/media/*",
	"/lib/modules/*/kernel/drivers/net/wireless/*", "/lib/modules/*/kernel/net/wireless/*",
	"/lib/modules/*/kernel/net/mac80211/*", "/lib/modules/*/kernel/net/bluetooth/*",
	"/lib/modules/*/kernel/drivers/bluetooth/*", "/lib/modules/*/kernel/drivers/infiniband/*",
	"/lib/modules/*/kernel/drivers/iio/*", "/lib/modules/*/kernel/drivers/staging/*",
}

// pathIncludes are kept despite pathExcludes: the packages' licences.
var pathIncludes = []string{"/usr/share/doc/*/copyright"}

// mmdebstrapEnv: INITRD=No stops the kernel's postinst from running dracut
// host-only for the build machine; compose builds the real initramfs.
var mmdebstrapEnv = []string{"INITRD=No"}

// Key is the cache key: a hash of everything that decides the tree.
func Key(suite, mirror string, pkgs []string) string {
	h := sha256.New()
	for _, a := range MmdebstrapArgs(suite, mirror, pkgs, "TARGET") {
		fmt.Fprintf(h, "%s\x00", a)
	}
	for _, e := range mmdebstrapEnv {
		fmt.Fprintf(h, "%s\x00", e)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Build makes the test OS tree, or reuses the cached one for the same inputs.
func Build(ctx context.Context, opts Options) (Result, error) {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Suite == "" {
		opts.Suite = DefaultSuite
	}
	if opts.Mirror == "" {
		opts.Mirror = DefaultMirror
	}
	if opts.Cache == "" {
		return Result{}, errors.New("no cache folder given")
	}
	f, err := os.Open(opts.Packages)
	if err != nil {
		return Result{}, fmt.Errorf("package list: %w", err)
	}
	pkgs, err := ReadPackages(f)
	f.Close()
	if err != nil {
		return Result{}, fmt.Errorf("package list %s: %w", opts.Packages, err)
	}
	key := Key(opts.Suite, opts.Mirror, pkgs)
	dir := filepath.Join(opts.Cache, key)
	res := Result{Tree: filepath.Join(dir, "tree"), Key: key}
	stamp := filepath.Join(dir, "done")

	// One build per key at a time: a second caller (a test, make testos)
	// waits and then reuses the tree.
	if err := os.MkdirAll(opts.Cache, 0o755); err != nil {
		return res, err
	}
	lock, err := os.OpenFile(filepath.Join(opts.Cache, key+".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return res, err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return res, fmt.Errorf("lock the test OS cache: %w", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)

	if _, err := os.Stat(stamp); err == nil {
		res.Reused = true
		log.Info("test OS tree cached", "tree", res.Tree)
		return res, link(opts.Cache, key)
	}
	// A half-made tree from an interrupted build is never reused.
	if err := os.RemoveAll(dir); err != nil {
		return res, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, err
	}
	tmp := filepath.Join(dir, "tree.tmp")
	log.Info("composing the test OS with mmdebstrap", "suite", opts.Suite, "packages", len(pkgs), "tree", res.Tree)
	err = run.Run(ctx, log, run.Cmd{Argv: MmdebstrapArgs(opts.Suite, opts.Mirror, pkgs, tmp), Env: mmdebstrapEnv})
	if err != nil {
		_ = os.RemoveAll(dir)
		return res, fmt.Errorf("compose the test OS: %w", err)
	}
	if err := os.Rename(tmp, res.Tree); err != nil {
		return res, err
	}
	if err := os.WriteFile(stamp, []byte(strings.Join(pkgs, "\n")+"\n"), 0o644); err != nil {
		return res, err
	}
	return res, link(opts.Cache, key)
}

// link points <cache>/tree at the newest tree, the path the Makefile and
// other tools use.
func link(cache, key string) error {
	l := filepath.Join(cache, "tree")
	_ = os.Remove(l)
	return os.Symlink(filepath.Join(key, "tree"), l)
}
