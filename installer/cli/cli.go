// Package cli is the altcos-installer command line. Owned by the installer
// front-half work (issue 2).
package cli

import (
	"context"
	"fmt"

	"github.com/altcos/altcos-tools/internal/stdio"
)

// Main runs altcos-installer with args (without the program name) and returns
// the process exit code.
func Main(ctx context.Context, args []string, io stdio.Stdio) int {
	fmt.Fprintln(io.Err, "altcos-installer: not implemented yet")
	return 70
}
