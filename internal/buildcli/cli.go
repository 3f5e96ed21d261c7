// Package buildcli is altcos-build, the image build command:
//
//	altcos-build compose  --repo R --stream S TREE   OS tree -> ostree commit on altcos/<arch>/<stream>
//	altcos-build sysroot  --repo R --stream S -o DIR commit -> deploy archive + manifest
//	altcos-build iso      ...                        live ISO (hybrid BIOS+UEFI)
//	altcos-build iso customize ...                   ISO with an embedded Ignition config and install args
//	altcos-build qcow2    ...                        installed QCOW2 for QEMU (Ignition from fw_cfg)
//	altcos-build pxe      ...                        kernel, live initramfs, deploy archive
//	altcos-build stream   ...                        <stream>.json stream metadata
//	altcos-build graph    ...                        Cincinnati update graph of a stream
//	altcos-build serve    ...                        serve a repo and its graph (tests)
package buildcli

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/altcos/altcos-tools/internal/stdio"
)

type command struct {
	run     func(ctx context.Context, args []string, io stdio.Stdio) error
	summary string
}

func commands() map[string]command {
	return map[string]command{
		"compose": {runCompose, "compose an OS tree into an ostree commit on a stream"},
		"sysroot": {runSysroot, "make the deploy archive of a commit"},
		"iso":     {runISO, "build the live ISO, or `iso customize` a copy of one"},
		"qcow2":   {runQCOW2, "install a commit into a QCOW2 image"},
		"pxe":     {runPXE, "write the PXE kernel, initramfs and deploy archive"},
		"stream":  {runStream, "write stream metadata for built artifacts"},
		"graph":   {runGraph, "write the Cincinnati update graph of a stream"},
		"serve":   {runServe, "serve a repo and its update graph over HTTP"},
	}
}

// UsageError is a command line the tool does not understand.
type UsageError = stdio.UsageError

// Run runs altcos-build with args (without the program name).
func Run(ctx context.Context, args []string, io stdio.Stdio) error {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(io.Out, usage(cmds))
		return nil
	}
	c, ok := cmds[args[0]]
	if !ok {
		return &UsageError{Msg: fmt.Sprintf("unknown command %q; run `altcos-build help`", args[0])}
	}
	if err := c.run(ctx, args[1:], io); err != nil {
		return fmt.Errorf("%s: %w", args[0], err)
	}
	return nil
}

func usage(cmds map[string]command) string {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("usage: altcos-build COMMAND [flags]\n\ncommands:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %-8s %s\n", n, cmds[n].summary)
	}
	b.WriteString("\nRun `altcos-build COMMAND -h` for a command's flags.\n")
	return b.String()
}
