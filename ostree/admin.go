package ostree

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/altcos/altcos-tools/internal/run"
)

// RepoPath is the system repository of the sysroot.
func (s *Sysroot) RepoPath() string { return filepath.Join(s.Path, "ostree", "repo") }

// initFSArgs builds `ostree admin init-fs [--modern] PATH`. --modern makes the
// layout of a current sysroot (no /boot/loader compatibility symlink dance).
func initFSArgs(path string, modern bool) []string {
	argv := []string{Tool, "admin", "init-fs"}
	if modern {
		argv = append(argv, "--modern")
	}
	return append(argv, path)
}

// InitFS makes an empty sysroot at s.Path.
func (s *Sysroot) InitFS(ctx context.Context, modern bool) error {
	return run.Run(ctx, s.Log, run.Cmd{Argv: initFSArgs(s.Path, modern)})
}

// OSInit makes the state directory of osname (ostree/deploy/OSNAME).
func (s *Sysroot) OSInit(ctx context.Context, osname string) error {
	_, err := s.output(ctx, "os-init", osname)
	return err
}

// PullLocal copies ref and its objects from the repository src into the
// sysroot's repository.
func (s *Sysroot) PullLocal(ctx context.Context, src, ref string) error {
	return run.Run(ctx, s.Log, run.Cmd{Argv: RepoArgs(s.RepoPath(), "pull-local", src, ref)})
}

// remoteAddArgs builds `ostree remote add` for an unsigned remote (ALTCOS
// test streams carry no GPG signatures; a signed stream adds its keys later).
func remoteAddArgs(repo, name, url string) []string {
	return []string{Tool, "remote", "add", "--repo=" + repo, "--if-not-exists", "--no-gpg-verify", name, url}
}

// AddRemote adds the remote name with url to the sysroot's repository.
func (s *Sysroot) AddRemote(ctx context.Context, name, url string) error {
	return run.Run(ctx, s.Log, run.Cmd{Argv: remoteAddArgs(s.RepoPath(), name, url)})
}

// CreateRef makes ref (e.g. altcos:altcos/x86_64/sisyphus) point where from points.
func (s *Sysroot) CreateRef(ctx context.Context, ref, from string) error {
	return run.Run(ctx, s.Log, run.Cmd{Argv: RepoArgs(s.RepoPath(), "refs", "--create="+ref, from)})
}

// SetConfig sets key (section.name) in the sysroot repository's config, e.g.
// sysroot.bootloader.
func (s *Sysroot) SetConfig(ctx context.Context, key, value string) error {
	return run.Run(ctx, s.Log, run.Cmd{Argv: RepoArgs(s.RepoPath(), "config", "set", key, value)})
}

// DeployOptions are the arguments of `ostree admin deploy`.
type DeployOptions struct {
	OSName  string   // --os
	Refspec string   // remote:ref or a checksum
	Kargs   []string // --karg, in order
	// KargsNone starts from an empty argument list instead of the merge
	// deployment's (--karg-none).
	KargsNone bool
	// KargsAppend and KargsDelete edit the merge deployment's arguments
	// (--karg-append, --karg-delete; ostree applies --karg first, then
	// appends, then deletes).
	KargsAppend []string
	KargsDelete []string
	// OriginFile is the new deployment's origin (--origin-file); empty:
	// ostree writes one naming Refspec.
	OriginFile string
	// Retain keeps every other deployment (--retain); Stage finalizes the
	// deployment at shutdown (--stage, booted systems only).
	Retain bool
	Stage  bool
	// GRUB2Exec, when set, is the program ostree's grub2 integration runs to
	// write /boot/loader.N/grub.cfg (OSTREE_GRUB2_EXEC), see GRUB2Generator.
	GRUB2Exec string
}

// deployArgs builds `ostree admin deploy --sysroot=S --os=OS [--karg-none] --karg=... REFSPEC`.
func deployArgs(sysroot string, o DeployOptions) []string {
	var args []string
	args = appendValue(args, "--os=", o.OSName)
	args = appendIf(args, o.KargsNone, "--karg-none")
	for _, k := range o.Kargs {
		args = append(args, "--karg="+k)
	}
	for _, k := range o.KargsAppend {
		args = append(args, "--karg-append="+k)
	}
	for _, k := range o.KargsDelete {
		args = append(args, "--karg-delete="+k)
	}
	args = appendValue(args, "--origin-file=", o.OriginFile)
	args = appendIf(args, o.Retain, "--retain")
	args = appendIf(args, o.Stage, "--stage")
	return AdminArgs(sysroot, "deploy", append(args, o.Refspec)...)
}

// Deploy deploys o.Refspec into the sysroot.
func (s *Sysroot) Deploy(ctx context.Context, o DeployOptions) error {
	c := run.Cmd{Argv: deployArgs(s.Path, o)}
	if o.GRUB2Exec != "" {
		c.Env = []string{"OSTREE_GRUB2_EXEC=" + o.GRUB2Exec, "OSTREE=" + run.Path(Tool)}
	}
	return run.Run(ctx, s.Log, c)
}

// Status runs `ostree admin status` and parses it with parseAdminStatus.
// Unlike ListDeployments it keeps the output's leading blanks, which mark
// the deployments of a sysroot that is not booted (an image being built, a
// mounted disk).
func (s *Sysroot) Status(ctx context.Context) ([]DeploymentEntry, error) {
	out, err := run.Output(ctx, s.Log, run.Cmd{Argv: AdminArgs(s.Path, "status")})
	if err != nil {
		return nil, fmt.Errorf("status of sysroot %s: %w", s.Path, err)
	}
	return parseAdminStatus(string(out))
}

// GRUB2Generator is the program ostree's grub2 integration runs
// (OSTREE_GRUB2_EXEC) when there is no booted system whose grub-mkconfig it
// could use: at image build time and on a mounted disk. ostree calls it as
// `PROG -o SYSROOT/boot/loader.N/grub.cfg` with _OSTREE_GRUB2_BOOTVERSION=N.
// It asks ostree itself for the menu (`admin instutil grub2-generate`, the
// same generator the installed system's /etc/grub.d/15_ostree runs under
// grub-mkconfig), so the entries are ostree's, not a copy of its logic. The
// boot partition is already $root (set by the static /grub/grub.cfg), so the
// per-entry "prepare root" is a comment.
const GRUB2Generator = `#!/bin/sh
# Written by altcos-tools: ostree (OSTREE_GRUB2_EXEC) runs this as PROG -o SYSROOT/boot/loader.N/grub.cfg
set -e
out="$2"
sysroot="${out%/boot/loader.*}"
GRUB2_BOOT_DEVICE_ID="${GRUB2_BOOT_DEVICE_ID:-boot}"
GRUB2_PREPARE_ROOT_CACHE="${GRUB2_PREPARE_ROOT_CACHE:-# \$root is the boot partition (see /grub/grub.cfg)}"
export GRUB2_BOOT_DEVICE_ID GRUB2_PREPARE_ROOT_CACHE
exec "${OSTREE:-ostree}" admin instutil grub2-generate --sysroot="$sysroot" "$_OSTREE_GRUB2_BOOTVERSION" > "$out"
`

// WriteGRUB2Generator writes GRUB2Generator as an executable file in dir and
// returns its path, for DeployOptions.GRUB2Exec.
func WriteGRUB2Generator(dir string) (string, error) {
	p := filepath.Join(dir, "altcos-grub2-generate")
	if err := os.WriteFile(p, []byte(GRUB2Generator), 0o755); err != nil {
		return "", fmt.Errorf("write grub2 generator: %w", err)
	}
	return p, nil
}
