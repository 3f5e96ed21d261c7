package buildcli

import (
	"context"
	"fmt"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/internal/cli"
	"github.com/altcos/altcos-tools/internal/stdio"
	"github.com/altcos/altcos-tools/ostree"
)

// runDelta is `altcos-build delta`:
//
//	altcos-build delta --repo R [--stream S] [--arch A] [--from REV]... [--previous N]
//
// It generates ostree static deltas to the head of altcos/<arch>/<stream>:
// from each --from revision, and from each of the N releases before the
// head (default 1: the previous one), then updates the summary. A node's
// `ostree pull` (altcos-update upgrade, the agent) then fetches one delta
// instead of every changed object when it runs one of those releases; with
// no matching delta it pulls objects as before. Existing deltas are kept.
func runDelta(ctx context.Context, args []string, io stdio.Stdio) error {
	fs := cli.NewFlagSet("delta", "usage: altcos-build delta --repo R [--stream S] [--previous N] [--from REV]...", io.Err)
	repo := fs.String("repo", "", "archive ostree repository with the stream's ref")
	stream := fs.String("stream", altcos.DefaultStream, "stream: the ref is altcos/<arch>/<stream>")
	arch := fs.String("arch", altcos.DefaultArch, "architecture in the ref")
	previous := fs.Int("previous", 1, "deltas from this many releases before the head")
	var from cli.List
	fs.Var(&from, "from", "a delta from this revision too (repeatable)")
	if help, err := cli.ParseFlags(fs, args); help || err != nil {
		return err
	}
	if *repo == "" || fs.NArg() > 0 || *previous < 0 {
		return &stdio.UsageError{Msg: "delta needs --repo, a --previous of 0 or more and no arguments; run `altcos-build delta -h`"}
	}
	if err := altcos.ValidateStream(*stream); err != nil {
		return &stdio.UsageError{Msg: err.Error()}
	}
	r := &ostree.Repo{Path: *repo, Log: cli.Logger(io.Err, false)}
	if !ostree.IsRepo(*repo) {
		return fmt.Errorf("%s is not an ostree repository; pass the archive repository of `altcos-build compose`", *repo)
	}
	ref := altcos.Ref(*arch, *stream)
	hist, err := r.RefHistory(ctx, ref)
	if err != nil {
		return fmt.Errorf("delta: %w; compose the stream first", err)
	}
	head := hist[0]
	var sources []string
	for i := 1; i <= *previous && i < len(hist); i++ {
		sources = append(sources, hist[i].Checksum)
	}
	for _, f := range from {
		sum, err := r.RevParse(ctx, f)
		if err != nil {
			return fmt.Errorf("delta --from %s: %w", f, err)
		}
		sources = append(sources, sum)
	}
	for _, s := range sources {
		if s == head.Checksum {
			continue
		}
		if err := r.StaticDelta(ctx, s, head.Checksum); err != nil {
			return err
		}
		fmt.Fprintf(io.Out, "static delta %s -> %s (%s)\n", s, head.Checksum, head.Version)
	}
	if err := r.SummaryUpdate(ctx); err != nil {
		return fmt.Errorf("update the summary of %s: %w", *repo, err)
	}
	return nil
}
