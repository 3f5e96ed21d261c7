package buildcli

import (
	"context"
	"errors"

	"github.com/altcos/altcos-tools/internal/stdio"
)

func runISO(ctx context.Context, args []string, io stdio.Stdio) error {
	return errors.New("not implemented yet")
}
