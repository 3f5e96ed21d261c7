// Package installercli is altcos-installer, the installer's command line:
// install (also in the seed's form `altcos-installer DEVICE IGNITION`),
// list-disks, validate and hash-password. Error classes map to the exit
// codes of the usage text here and nowhere else: Run returns them as
// stdio.ExitError.
package installercli

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
	exitOK       = 0
	exitUsage    = 2  // bad input: flags, kernel arguments, config files, the disk chosen, the Ignition config, a "no" at the prompt
	exitFetch    = 3  // fetching the Ignition config or the deploy archive failed (network, server, host key, hash)
	exitDisk     = 4  // partitioning, filesystems, deploy, bootloader, first boot, finish failed on the target
	exitHook     = 5  // a pre- or post-install hook failed
	exitInternal = 70 // anything else: a bug or an unexpected system state
)

const usageText = `altcos-installer installs ALTCOS onto a disk or a raw image file.

Usage:
  altcos-installer install [flags] [DEVICE] [IGNITION]
  altcos-installer DEVICE IGNITION              (the seed installer's form)
  altcos-installer list-disks [--json] [--all]
  altcos-installer list-stream --stream-base-url URL [-s STREAM]
  altcos-installer download --stream-base-url URL -s STREAM -f iso|qcow2|pxe|deploy [--decompress] [-C DIR]
  altcos-installer validate [--spec X.Y.Z] [--json] [-o OUT.ign] CONFIG
  altcos-installer hash-password                (like mkpasswd --method=yescrypt)

With DEVICE or IGNITION missing and a terminal present, install asks: the
disk from a table, the Ignition source, the root password (twice); then y to
wipe. Without a terminal the same questions are plain lines on stdin/stdout.

The plan comes from, later winning: /etc/altcos/installer.d/*.yaml (lexical
order), kernel arguments altcos.inst.* (coreos.inst.* accepted too):
install_dev, ignition_url, image_url, platform_id, stream, save_partlabel,
save_partindex, insecure, skip_reboot (Fedora CoreOS's, with its meanings:
insecure allows an unsigned image), and stream_base_url (with stream: the
stream's newest release from the network), image_sha256, ignition_hash, insecure_ignition,
append_karg, delete_karg, console, root_password_hash, ssh_host_key,
pre_install, post_install (any of them makes the install unattended), then
--config files, then flags. The live system's console= arguments are the
installed system's unless console is set.
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
  5   a pre- or post-install hook failed
  70  internal error
`

// Run runs altcos-installer with args (without the program name). Its error
// is a stdio.ExitError with the exit code of the error's class.
func Run(ctx context.Context, args []string, io stdio.Stdio) error {
	err := dispatch(ctx, args, io)
	if err == nil {
		return nil
	}
	code, _ := classify(err)
	return &stdio.ExitError{Code: code, Err: err}
}

func dispatch(ctx context.Context, args []string, io stdio.Stdio) error {
	if len(args) == 0 {
		return install(ctx, nil, io)
	}
	switch args[0] {
	case "install":
		return install(ctx, args[1:], io)
	case "list-disks":
		return named(args[0], listDisks(args[1:], io))
	case "list-stream":
		return named(args[0], fetching(listStream(ctx, args[1:], io)))
	case "download":
		return named(args[0], fetching(download(ctx, args[1:], io)))
	case "validate":
		return named(args[0], validate(args[1:], io))
	case "hash-password":
		return named(args[0], hashPassword(args[1:], io))
	case "help", "-h", "-help", "--help":
		fmt.Fprint(io.Out, usageText)
		return nil
	}
	if strings.HasPrefix(args[0], "-") || strings.HasPrefix(args[0], "/") || len(args) == 2 {
		// The seed's form: altcos-installer DEVICE IGNITION (and flags).
		return install(ctx, args, io)
	}
	return usagef("unknown command %q; run altcos-installer --help", args[0])
}

// named prefixes a command's error with the command's name.
func named(cmd string, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	return nil
}

// fetchFailed is an error of list-stream or download that is not bad
// input: the network, the server, a bad sha256 or signature (exit 3).
type fetchFailed struct{ error }

func (e fetchFailed) Unwrap() error { return e.error }

// fetching classes err as a fetch failure unless it is a usage error.
func fetching(err error) error {
	var ue *stdio.UsageError
	if err == nil || errors.As(err, &ue) {
		return err
	}
	return fetchFailed{err}
}

func usagef(format string, a ...any) error { return &stdio.UsageError{Msg: fmt.Sprintf(format, a...)} }

// classify maps an error to its exit code and class name. A failed install
// step is classed by the step table (installer.StepError.Fail), not by the
// step's name.
func classify(err error) (int, string) {
	var (
		ue *stdio.UsageError
		pe *planconfig.Error
		ie *ignition.InvalidError
		te *installer.TargetError
		fe *ignition.FetchError
		se *installer.StepError
	)
	switch {
	case err == nil:
		return exitOK, ""
	case errors.As(err, &ue), errors.As(err, &pe), errors.As(err, &ie), errors.As(err, &te),
		errors.Is(err, installer.ErrAborted), errors.Is(err, installer.ErrNeedConfirm),
		errors.Is(err, prompt.ErrMismatch), errors.Is(err, prompt.ErrNoInput):
		return exitUsage, "usage"
	case errors.As(err, &fe), errors.As(err, new(fetchFailed)):
		return exitFetch, "fetch"
	case errors.As(err, &se) && se.Fail == installer.FailDisk:
		return exitDisk, "disk"
	case errors.As(err, &se) && se.Fail == installer.FailFetch:
		return exitFetch, "fetch"
	case errors.As(err, &se) && se.Fail == installer.FailHook:
		return exitHook, "hook"
	}
	return exitInternal, "internal"
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
