// Package cli is the altcos-installer command line: install (also in the
// seed's form `altcos-installer DEVICE IGNITION`), list-disks, validate and
// hash-password. Main returns the exit code; error classes map to codes here
// and nowhere else.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/altcos/altcos-tools/installer"
	"github.com/altcos/altcos-tools/installer/ignition"
	"github.com/altcos/altcos-tools/installer/planconfig"
	"github.com/altcos/altcos-tools/installer/prompt"
	"github.com/altcos/altcos-tools/internal/stdio"
	"golang.org/x/term"
)

// Exit codes, by error class.
const (
	ExitOK       = 0
	ExitUsage    = 2  // bad input: flags, kernel arguments, config files, the disk chosen, the Ignition config, a "no" at the prompt
	ExitFetch    = 3  // fetching the Ignition config or the deploy archive failed (network, server, host key, hash)
	ExitDisk     = 4  // partitioning, filesystems, deploy, bootloader, first boot, finish failed on the target
	ExitInternal = 70 // anything else: a bug or an unexpected system state
)

const usageText = `altcos-installer installs ALTCOS onto a disk or a raw image file.

Usage:
  altcos-installer install [flags] [DEVICE] [IGNITION]
  altcos-installer DEVICE IGNITION              (the seed installer's form)
  altcos-installer list-disks [--json] [--all]
  altcos-installer validate [--spec X.Y.Z] [--json] [-o OUT.ign] CONFIG
  altcos-installer hash-password                (like mkpasswd --method=yescrypt)

With DEVICE or IGNITION missing and a terminal present, install asks: the
disk from a table, the Ignition source, the root password (twice); then y to
wipe. Without a terminal the same questions are plain lines on stdin/stdout.

The plan comes from, later winning: /etc/altcos/installer.d/*.yaml (lexical
order), kernel arguments altcos.inst.* (coreos.inst.* accepted too):
install_dev, ignition_url, ignition_hash, image_url, platform_id, stream,
skip_reboot, insecure, append_karg, root_password_hash, ssh_host_key (any of
them makes the install unattended), then --config files, then flags.
--dry-run prints every setting with where it came from, runs every check,
and writes nothing.

Run 'altcos-installer install --help' for the install flags.

Exit codes:
  0   success
  2   bad input: flags, kernel arguments, config files, the chosen disk,
      the Ignition config, mismatched passwords, "no" at the wipe prompt
  3   fetch failure: Ignition config or deploy archive (network, HTTP
      status, TLS, SSH host key or login, hash mismatch)
  4   disk failure: partitioning, filesystems, deploy, bootloader, first boot
  70  internal error
`

// Main runs altcos-installer with args (without the program name) and returns
// the process exit code.
func Main(ctx context.Context, args []string, io stdio.Stdio) int {
	if len(args) == 0 {
		return install(ctx, nil, io)
	}
	switch args[0] {
	case "install":
		return install(ctx, args[1:], io)
	case "list-disks":
		return listDisks(args[1:], io)
	case "validate":
		return validate(args[1:], io)
	case "hash-password":
		return hashPassword(args[1:], io)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(io.Out, usageText)
		return ExitOK
	}
	if strings.HasPrefix(args[0], "-") || strings.HasPrefix(args[0], "/") || len(args) == 2 {
		// The seed's form: altcos-installer DEVICE IGNITION (and flags).
		return install(ctx, args, io)
	}
	fmt.Fprintf(io.Err, "altcos-installer: unknown command %q; run altcos-installer --help\n", args[0])
	return ExitUsage
}

// usageError is a command line that cannot be run.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// backHalf are the steps whose failure is a disk failure.
var backHalf = map[string]bool{"partition": true, "make filesystems": true, "deploy": true, "install bootloader": true, "first boot": true, "finish": true}

// classify maps an error to its exit code and class name.
func classify(err error) (int, string) {
	var (
		ue *usageError
		pe *planconfig.Error
		ie *ignition.InvalidError
		te *installer.TargetError
		fe *ignition.FetchError
		se *installer.StepError
	)
	switch {
	case err == nil:
		return ExitOK, ""
	case errors.As(err, &ue), errors.As(err, &pe), errors.As(err, &ie), errors.As(err, &te),
		errors.Is(err, installer.ErrAborted), errors.Is(err, installer.ErrNeedConfirm),
		errors.Is(err, prompt.ErrMismatch), errors.Is(err, prompt.ErrNoInput):
		return ExitUsage, "usage"
	case errors.As(err, &fe):
		return ExitFetch, "fetch"
	case errors.As(err, &se) && backHalf[se.Step]:
		return ExitDisk, "disk"
	case errors.As(err, &se) && se.Step == "open deploy archive":
		return ExitFetch, "fetch"
	}
	return ExitInternal, "internal"
}

// isTerminal reports whether r is a terminal.
func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// prompter returns the terminal prompter on a terminal, plain lines otherwise.
func prompter(io stdio.Stdio) interface {
	installer.Prompter
	prompt.Inputter
} {
	if isTerminal(io.In) && isTerminal(io.Out) {
		return &prompt.Terminal{In: io.In.(*os.File), Out: nopWriteCloser{io.Out}}
	}
	return prompt.NewLines(io.In, io.Out)
}
