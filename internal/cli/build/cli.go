// Package buildcli is altcos-build, the image build command:
//
//	altcos-build compose  --repo R --stream S TREE   OS tree -> ostree commit on altcos/<arch>/<stream>
//	altcos-build sysroot  --repo R --stream S -o DIR commit -> deploy archive + manifest
//	altcos-build iso      ...                        live ISO (hybrid BIOS+UEFI)
//	altcos-build iso customize ...                   ISO that installs unattended (coreos-installer's options)
//	altcos-build iso ignition|kargs|reset ...        change one part of an ISO, or drop every customization
//	altcos-build qcow2    ...                        installed QCOW2 for QEMU (Ignition from fw_cfg)
//	altcos-build pxe      ...                        kernel, live initramfs, deploy archive
//	altcos-build pxe customize ...                   live initramfs that installs unattended
//	altcos-build stream   ...                        <stream>.json stream metadata
//	altcos-build graph    ...                        Cincinnati update graph of a stream
//	altcos-build delta    ...                        static deltas to the stream's head
//	altcos-build sign     --gpg-sign KEY FILE...     detached signatures FILE.sig
//	altcos-build site     ...                        the download site of the streams
//	altcos-build serve    ...                        serve the site, artifacts, streams, repo and graph (tests, demos)
package buildcli

import (
	"context"

	"github.com/altcos/altcos-tools/internal/cli"
	"github.com/altcos/altcos-tools/internal/stdio"
)

var commands = []cli.Command{
	{Name: "compose", Summary: "compose an OS tree into an ostree commit on a stream", Run: runCompose},
	{Name: "sysroot", Summary: "make the deploy archive of a commit", Run: runSysroot},
	{Name: "iso", Summary: "build the live ISO; customize, inspect, ignition, kargs, reset one", Run: runISO},
	{Name: "qcow2", Summary: "install a commit into a QCOW2 image", Run: runQCOW2},
	{Name: "pxe", Summary: "write the PXE kernel, initramfs and deploy archive; customize, inspect an initramfs", Run: runPXE},
	{Name: "stream", Summary: "write stream metadata for built artifacts", Run: runStream},
	{Name: "sign", Summary: "write detached GPG signatures (FILE.sig) of artifacts", Run: runSign},
	{Name: "graph", Summary: "write the Cincinnati update graph of a stream", Run: runGraph},
	{Name: "delta", Summary: "generate static deltas to a stream's head from its previous releases", Run: runDelta},
	{Name: "site", Summary: "write the download site of the stream metadata", Run: runSite},
	{Name: "serve", Summary: "serve the site, artifacts, streams, repo and update graph over HTTP", Run: runServe},
}

// Run runs altcos-build with args (without the program name).
func Run(ctx context.Context, args []string, io stdio.Stdio) error {
	return cli.Dispatch(ctx, "altcos-build", "altcos-build COMMAND [flags]", commands, args, io)
}
