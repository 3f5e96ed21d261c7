// Package installer installs ALTCOS onto a block device or a raw image file.
// The whole install is the step list in Run; each step is a plain function over
// the install state, and its error is wrapped with the step's name.
package installer

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/altcos/altcos-tools/deployarchive"
	layout "github.com/altcos/altcos-tools/installer/partition"
)

// Env is what an install talks to: logs, progress, the operator, and the root
// of the system it inspects (/ on a live system, a fake tree in tests).
type Env struct {
	Log      *slog.Logger
	Progress Reporter
	Prompt   Prompter // nil: never ask (unattended)
	SysRoot  string   // where /sys, /proc and /dev are found; "" means /
	Stdout   io.Writer
	// Reboot restarts the machine; nil in image mode and in tests.
	Reboot func() error
}

// state is carried through the steps of one install.
type state struct {
	plan *Plan
	env  Env

	ignition []byte // the validated config for the installed system, or nil
	manifest *deployarchive.Manifest
	// archive opens the deploy archive stream (local file or https, hash checked).
	archive func(ctx context.Context) (io.ReadCloser, error)

	kept   []layout.Kept // partitions of the target's GPT to keep, from "check target"
	target *target       // the opened, exclusively held device or image, once partitioning starts
	// wrote is set when the first byte has been written to the target; a
	// failure after it wipes what was written unless PreserveOnError.
	wrote bool
	// streamed says the archive's sha256 is checked only as it is read
	// (always: a local file too), not before the first write.
	streamed bool
	// unverified is set while files from a streamed archive not yet checked
	// against its manifest are on the target: a failure then wipes them even
	// with PreserveOnError.
	unverified bool
}

type step struct {
	name string
	fn   func(ctx context.Context, s *state) error
	// writes marks the steps that change the target.
	writes bool
	// fails is the class of the step's failure (StepError.Fail).
	fails Failure
}

// steps is the install, in order. Steps before "partition" only read and check.
var steps = []step{
	{"check target", checkTarget, false, FailInternal},        // front half: disk discovery, busy reasons
	{"open deploy archive", openArchive, false, FailFetch},    // back half: manifest, sha256, size vs disk
	{"fetch ignition", fetchIgnition, false, FailInternal},    // front half: sources, hash, Butane, validation against manifest.IgnitionSpec
	{"confirm", confirm, false, FailInternal},                 // front half: show the disk, operator types y
	{"pre-install hooks", preInstall, false, FailHook},        // the operator's programs, before the first write
	{"partition", partition, true, FailDisk},                  // back half: GPT, BLKPG, wait for nodes
	{"make filesystems", makeFilesystems, true, FailDisk},     // back half: mkfs.vfat, mkfs.ext4
	{"deploy", deploy, true, FailDisk},                        // back half: stream the archive, kernel args
	{"install bootloader", installBootloader, true, FailDisk}, // back half: GRUB BIOS + UEFI
	{"first boot", firstBoot, true, FailDisk},                 // back half: Ignition config, stamp, root password
	{"post-install hooks", postInstall, true, FailHook},       // the operator's programs, filesystems mounted
	{"finish", finish, true, FailDisk},                        // back half: sync, unmount, release
}

// Run installs according to p, which must be resolved and validated.
func Run(ctx context.Context, p *Plan, env Env) (err error) {
	if env.Log == nil {
		env.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if env.Progress == nil {
		env.Progress = nopReporter{}
	}
	s := &state{plan: p, env: env}
	defer func() {
		// What came from an archive that is bad (a bad signature, a sha256 or
		// size mismatch, an unsafe entry) or was never verified (verify.go) must not stay on the disk,
		// where it could be made bootable by hand: it is wiped whatever
		// --preserve-on-error says.
		mustWipe := err != nil && (s.unverified || untrustedData(err))
		if err != nil && s.wrote && (!p.PreserveOnError || mustWipe) {
			if p.PreserveOnError {
				err = fmt.Errorf("%w (the disk was wiped despite --preserve-on-error: the deploy archive does not match its manifest or was not verified, and a tampered OS must not stay on the disk)", err)
			}
			if cerr := cleanup(s); cerr != nil {
				err = fmt.Errorf("%w (and cleaning up the disk failed: %v)", err, cerr)
			}
		} else if err != nil {
			release(s)
		}
	}()
	for i, st := range steps {
		if p.DryRun && st.writes {
			break
		}
		if err := ctx.Err(); err != nil {
			return &StepError{Step: st.name, Fail: st.fails, Err: err}
		}
		env.Progress.Step(i+1, len(steps), st.name)
		if st.writes {
			s.wrote = true
		}
		if err := st.fn(ctx, s); err != nil {
			return &StepError{Step: st.name, Fail: st.fails, Err: err}
		}
	}
	return nil
}

// StepError says which step of the install failed, and what that failure
// means for the operator.
type StepError struct {
	Step string
	Fail Failure // from the step table, so that renaming a step changes no exit code
	Err  error
}

// Failure is the class of a failed step, when its error carries no class of
// its own (bad input such as a TargetError or an ignition.InvalidError, an
// ignition.FetchError): altcos-installer maps it to its exit code.
type Failure int

const (
	// FailInternal is a bug or an unexpected system state.
	FailInternal Failure = iota
	// FailFetch is a deploy archive that cannot be had or does not fit the
	// plan: network, server, hash, size, architecture, stream.
	FailFetch
	// FailDisk is a failure while writing the target: partitioning,
	// filesystems, deploy, bootloader, first boot, finish.
	FailDisk
	// FailHook is a pre- or post-install hook that failed.
	FailHook
)

func (e *StepError) Error() string { return e.Step + ": " + e.Err.Error() }
func (e *StepError) Unwrap() error { return e.Err }
