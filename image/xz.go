package image

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/altcos/altcos-tools/internal/fsutil"
	"github.com/altcos/altcos-tools/internal/run"
)

// XZArgs compresses file to stdout (one thread: build machines are shared;
// -6, xz's default, what Fedora CoreOS's .xz artifacts use).
func XZArgs(file string) []string {
	return []string{"xz", "-c", "-T1", "-6", file}
}

// CompressXZ writes file.xz beside file (through a temporary name) and
// returns its path: the compressed variant the stream metadata lists with
// the uncompressed file's sha256.
func CompressXZ(ctx context.Context, log *slog.Logger, file string) (string, error) {
	out := file + ".xz"
	err := fsutil.WriteAtomic(out, 0o644, func(w io.Writer) error {
		return run.Run(ctx, log, run.Cmd{Argv: XZArgs(file), Stdout: w})
	})
	if err != nil {
		return "", fmt.Errorf("compress %s with xz: %w", file, err)
	}
	return out, nil
}
