// Package image holds what the artifact builders under it (iso, pxe,
// qcow2, stream) start from: the checked-out tree of a composed commit
// (kernel, GRUB, the installer's tools), the live initramfs built for its
// kernel (the ISO and PXE boot it), and the folder of the deploy archive
// (deployarchive/sysroot's output). One package per artifact sits below.
package image

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/altcos/altcos-tools/compose"
	"github.com/altcos/altcos-tools/deployarchive"
	"github.com/altcos/altcos-tools/initramfs"
	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/ostree"
)

// CheckoutTree checks out rev (a ref or commit) of repo under cacheDir as
// cacheDir/tree-<commit> and returns that folder. A checkout finished
// earlier is reused: a commit never changes. The ISO, PXE and initramfs
// builds read the kernel, its modules, GRUB and mkfs.* from it.
func CheckoutTree(ctx context.Context, log *slog.Logger, repo, rev, cacheDir string) (string, error) {
	out, err := run.Output(ctx, log, run.Cmd{Argv: ostree.RepoArgs(repo, "rev-parse", rev)})
	if err != nil {
		return "", fmt.Errorf("resolve %s in %s: %w", rev, repo, err)
	}
	commit := strings.TrimSpace(string(out))
	dir := filepath.Join(cacheDir, "tree-"+commit)
	if _, err := os.Stat(filepath.Join(dir, ".altcos-checkout-complete")); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", err
	}
	tmp := dir + ".tmp"
	os.RemoveAll(tmp)
	// User mode: no ownership changes needed for reading files at build time.
	if err := run.Run(ctx, log, run.Cmd{Argv: ostree.RepoArgs(repo, "checkout", "--user-mode", commit, tmp)}); err != nil {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("check out %s: %w", commit, err)
	}
	if err := os.WriteFile(filepath.Join(tmp, ".altcos-checkout-complete"), []byte(commit+"\n"), 0o644); err != nil {
		return "", err
	}
	os.RemoveAll(dir)
	if err := os.Rename(tmp, dir); err != nil {
		return "", err
	}
	return dir, nil
}

// LiveInitramfsOptions are the inputs of BuildLiveInitramfs.
type LiveInitramfsOptions struct {
	Tree   string // OS tree (kernel modules, mkfs.*)
	Output string
	// SourceDir is the altcos-tools source (go.mod) the Go programs are built from.
	SourceDir string
	TempDir   string
	Log       *slog.Logger
}

// BuildLiveInitramfs builds the live initramfs for the kernel of an OS tree,
// taking the installer's tools from the tree (each one the tree lacks from the
// build host).
func BuildLiveInitramfs(ctx context.Context, o LiveInitramfsOptions) error {
	kver, err := compose.FindKernel(o.Tree)
	if err != nil {
		return fmt.Errorf("OS tree %s: %w", o.Tree, err)
	}
	return initramfs.Build(ctx, initramfs.Options{
		Output:        o.Output,
		ModulesDir:    filepath.Join(o.Tree, "usr/lib/modules", kver),
		KernelVersion: kver,
		ToolsRoot:     o.Tree,
		GoModuleDir:   o.SourceDir,
		TempDir:       o.TempDir,
		Log:           o.Log,
	})
}

// ReadArchiveManifest reads deploy.json of an archive folder (what
// `altcos-build sysroot` writes) and checks that the archive is beside it.
func ReadArchiveManifest(dir string) (*deployarchive.Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, deployarchive.ManifestName))
	if err != nil {
		return nil, fmt.Errorf("deploy archive manifest: %w (run `altcos-build sysroot` first)", err)
	}
	var m deployarchive.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("parse %s: %w", filepath.Join(dir, deployarchive.ManifestName), err)
	}
	if m.Stream == "" || m.Version == "" {
		return nil, fmt.Errorf("%s names no stream or version", filepath.Join(dir, deployarchive.ManifestName))
	}
	if _, err := os.Stat(filepath.Join(dir, deployarchive.ArchiveName)); err != nil {
		return nil, fmt.Errorf("deploy archive: %w", err)
	}
	return &m, nil
}
