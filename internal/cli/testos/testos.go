// Package testoscli is altcos-testos: it composes the Debian-based test OS
// tree with mmdebstrap, or reuses the cached one, and prints the tree's
// path:
//
//	altcos-testos [-packages testos/streams/sisyphus.txt] [-cache .cache/testos] [-suite bookworm] [-mirror URL]
//
// Each stream has its list, testos/streams/<stream>.txt.
package testoscli

import (
	"context"
	"fmt"

	"github.com/altcos/altcos-tools/internal/cli"
	"github.com/altcos/altcos-tools/internal/stdio"
	"github.com/altcos/altcos-tools/testos"
)

// Run runs altcos-testos with args (without the program name).
func Run(ctx context.Context, args []string, io stdio.Stdio) error {
	fs := cli.NewFlagSet("altcos-testos", "usage: altcos-testos [--packages FILE] [--cache DIR] [--suite S] [--mirror URL]", io.Err)
	pkgs := fs.String("packages", testos.StreamList("testos", "sisyphus"), "package list file (testos/streams/<stream>.txt)")
	cache := fs.String("cache", ".cache/testos", "cache folder; the tree is <cache>/<hash>/tree, linked from <cache>/tree")
	suite := fs.String("suite", testos.DefaultSuite, "Debian suite")
	mirror := fs.String("mirror", testos.DefaultMirror, "Debian mirror")
	if help, err := cli.ParseFlags(fs, args); help || err != nil {
		return err
	}
	log := cli.Logger(io.Err, false)
	res, err := testos.Build(ctx, testos.Options{Packages: *pkgs, Cache: *cache, Suite: *suite, Mirror: *mirror, Log: log})
	if err != nil {
		return err
	}
	fmt.Fprintln(io.Out, res.Tree)
	return nil
}
