// Command altcos-testos composes the Debian-based test OS tree with
// mmdebstrap, or reuses the cached one, and prints the tree's path:
//
//	altcos-testos [-packages testos/packages.txt] [-cache .cache/testos] [-suite bookworm] [-mirror URL]
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/altcos/altcos-tools/testos"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "altcos-testos:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("altcos-testos", flag.ContinueOnError)
	pkgs := fs.String("packages", "testos/packages.txt", "package list file")
	cache := fs.String("cache", ".cache/testos", "cache folder; the tree is <cache>/<hash>/tree, linked from <cache>/tree")
	suite := fs.String("suite", testos.DefaultSuite, "Debian suite")
	mirror := fs.String("mirror", testos.DefaultMirror, "Debian mirror")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	res, err := testos.Build(ctx, testos.Options{Packages: *pkgs, Cache: *cache, Suite: *suite, Mirror: *mirror, Log: log})
	if err != nil {
		return err
	}
	fmt.Println(res.Tree)
	return nil
}
