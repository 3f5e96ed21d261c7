// Package ostree is a thin wrapper over the ostree CLI (libostree): the image
// build uses it to commit OS trees and make sysroots, the update stack uses it
// on the installed system. Each method builds an argv and runs it through
// internal/run; nothing here reimplements what ostree does.
//
// Files of this package by concern: ostree.go (core), repo.go (repository:
// init, commit, refs, log, metadata, summary, fsck), admin.go (sysroot:
// init-fs, os-init, deploy, status), upgrade.go (pull, upgrade, rollback,
// cleanup), origin.go (pull by commit or ref, deploy with an origin file,
// kernel argument edits, boot entries), delta.go (static deltas).
package ostree

import (
	"context"
	"log/slog"
	"strings"

	"github.com/altcos/altcos-tools/internal/run"
)

// Tool is the ostree program name, resolved by run.Path (ALTCOS_TOOL_OSTREE overrides).
const Tool = "ostree"

// Repo is an ostree repository on disk.
type Repo struct {
	Path string
	Log  *slog.Logger
}

// Sysroot is an ostree sysroot (the root of an installed system, or a scratch
// directory at build time).
type Sysroot struct {
	Path string
	Log  *slog.Logger
}

// RepoArgs builds the argv of `ostree SUBCMD --repo=PATH ARGS...`.
func RepoArgs(repo, subcmd string, args ...string) []string {
	return append([]string{Tool, subcmd, "--repo=" + repo}, args...)
}

// AdminArgs builds the argv of `ostree admin SUBCMD --sysroot=PATH ARGS...`.
func AdminArgs(sysroot, subcmd string, args ...string) []string {
	return append([]string{Tool, "admin", subcmd, "--sysroot=" + sysroot}, args...)
}

func (r *Repo) output(ctx context.Context, subcmd string, args ...string) (string, error) {
	out, err := run.Output(ctx, r.Log, run.Cmd{Argv: RepoArgs(r.Path, subcmd, args...)})
	return strings.TrimSpace(string(out)), err
}

func (s *Sysroot) output(ctx context.Context, subcmd string, args ...string) (string, error) {
	out, err := run.Output(ctx, s.Log, run.Cmd{Argv: AdminArgs(s.Path, subcmd, args...)})
	return strings.TrimSpace(string(out)), err
}

// appendValue appends the option flag (ending in "=") with v when v is set.
func appendValue(args []string, flag, v string) []string {
	if v == "" {
		return args
	}
	return append(args, flag+v)
}

// appendIf appends the switch flag when on.
func appendIf(args []string, on bool, flag string) []string {
	if !on {
		return args
	}
	return append(args, flag)
}
