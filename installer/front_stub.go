package installer

// Front-half steps. Owned by the installer front-half work (issue 2); replace
// this file with real implementations in files of their own.

import (
	"context"
	"errors"
)

var errNotImplemented = errors.New("not implemented yet")

func checkTarget(ctx context.Context, s *state) error   { return errNotImplemented }
func fetchIgnition(ctx context.Context, s *state) error { return errNotImplemented }
func confirm(ctx context.Context, s *state) error       { return errNotImplemented }
