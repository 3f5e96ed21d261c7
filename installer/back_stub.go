package installer

// Back-half steps. Owned by the installer back-half work (issue 7); replace
// this file with real implementations in files of their own.

import "context"

type target struct{}

func openArchive(ctx context.Context, s *state) error       { return errNotImplemented }
func partition(ctx context.Context, s *state) error         { return errNotImplemented }
func makeFilesystems(ctx context.Context, s *state) error   { return errNotImplemented }
func deploy(ctx context.Context, s *state) error            { return errNotImplemented }
func installBootloader(ctx context.Context, s *state) error { return errNotImplemented }
func firstBoot(ctx context.Context, s *state) error         { return errNotImplemented }
func finish(ctx context.Context, s *state) error            { return errNotImplemented }
func cleanup(s *state) error                                { return errNotImplemented }
func release(s *state)                                      {}
