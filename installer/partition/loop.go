package partition

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/altcos/altcos-tools/internal/run"
)

// LoopAttachArgs builds the losetup command that attaches an image file to
// a free loop device with partition scanning and prints the device.
func LoopAttachArgs(file string, sectorSize int) []string {
	argv := []string{"losetup", "--find", "--show", "--partscan"}
	if sectorSize != 0 && sectorSize != 512 {
		argv = append(argv, "--sector-size", strconv.Itoa(sectorSize))
	}
	return append(argv, file)
}

// AttachLoop attaches file to a loop device and returns its path.
func AttachLoop(ctx context.Context, log *slog.Logger, file string, sectorSize int) (string, error) {
	out, err := run.Output(ctx, log, run.Cmd{Argv: LoopAttachArgs(file, sectorSize)})
	if err != nil {
		return "", fmt.Errorf("attach %s to a loop device: %w", file, err)
	}
	dev := strings.TrimSpace(string(out))
	if !strings.HasPrefix(dev, "/dev/loop") {
		return "", fmt.Errorf("attach %s to a loop device: losetup printed %q", file, dev)
	}
	return dev, nil
}

// DetachLoop detaches a loop device.
func DetachLoop(ctx context.Context, log *slog.Logger, dev string) error {
	if err := run.Run(ctx, log, run.Cmd{Argv: []string{"losetup", "--detach", dev}}); err != nil {
		return fmt.Errorf("detach %s: %w", dev, err)
	}
	return nil
}
