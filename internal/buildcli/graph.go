package buildcli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/altcos/altcos-tools/internal/stdio"
	"github.com/altcos/altcos-tools/ostree"
	"github.com/altcos/altcos-tools/updates/graph"
)

// GraphPath is where `altcos-build graph` writes a stream's graph under its
// output directory: OUT/<arch>/<stream>/v1/graph. Any static web server then
// answers the agent's GET {base}/v1/graph?basearch=..&stream=.. with base
// http://host/<arch>/<stream>; `altcos-build serve` also answers it at the
// top level by reading basearch and stream from the query.
func GraphPath(out, arch, stream string) string {
	return filepath.Join(out, arch, stream, "v1", "graph")
}

// stringList collects a repeated flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// runGraph is `altcos-build graph`:
//
//	altcos-build graph --repo R [--stream S] [--arch A] [--dead-end VERSION]...
//	                   [--dead-ends FILE] -o OUT
//
// It writes the Cincinnati graph of altcos/<arch>/<stream> from the commits
// of the ref in R, oldest first: age_index is the position in the history,
// payload the commit checksum (scheme "checksum"), an edge goes from every
// release to every newer one, and dead ends (by version or checksum, from
// --dead-end or from FILE lines "VERSION [REASON]") have no way out.
func runGraph(ctx context.Context, args []string, io stdio.Stdio) error {
	fs := flag.NewFlagSet("graph", flag.ContinueOnError)
	fs.SetOutput(io.Err)
	repo := fs.String("repo", "", "ostree repository with the stream's ref")
	stream := fs.String("stream", "sisyphus", "stream: the ref is altcos/<arch>/<stream>")
	arch := fs.String("arch", "x86_64", "architecture in the ref")
	out := fs.String("o", "", "output directory (the graph goes to OUT/<arch>/<stream>/v1/graph)")
	deadFile := fs.String("dead-ends", "", "file of dead-end releases, one `VERSION [REASON]` a line")
	var dead stringList
	fs.Var(&dead, "dead-end", "a dead-end release, VERSION or checksum (repeatable)")
	fs.Usage = func() {
		fmt.Fprintln(io.Err, "usage: altcos-build graph --repo R [--stream S] [--dead-end V]... -o OUT")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &UsageError{Msg: err.Error()}
	}
	if *repo == "" || *out == "" || fs.NArg() > 0 {
		return &UsageError{Msg: "graph needs --repo and -o and no arguments; run `altcos-build graph -h`"}
	}
	deadEnds := map[string]string{}
	for _, d := range dead {
		deadEnds[d] = ""
	}
	if *deadFile != "" {
		if err := readDeadEnds(*deadFile, deadEnds); err != nil {
			return err
		}
	}
	g, p, err := WriteGraph(ctx, *repo, *arch, *stream, *out, deadEnds)
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "altcos/%s/%s: %d releases, %d edges, newest %s -> %s\n", *arch, *stream, len(g.Nodes), len(g.Edges), g.Nodes[len(g.Nodes)-1].Version, p)
	return nil
}

// WriteGraph writes the graph of altcos/<arch>/<stream> in repo to
// GraphPath(out, arch, stream) and returns it with that path. deadEnds maps
// versions or checksums to reasons. Machine tests call it in-process to
// publish v2 next to `altcos-build serve`'s ServeHandler.
func WriteGraph(ctx context.Context, repo, arch, stream, out string, deadEnds map[string]string) (*graph.Graph, string, error) {
	ref := "altcos/" + arch + "/" + stream
	hist, err := (&ostree.Repo{Path: repo}).RefHistory(ctx, ref)
	if err != nil {
		return nil, "", err
	}
	slices.Reverse(hist)
	rs := make([]graph.Release, len(hist))
	for i, c := range hist {
		rs[i] = graph.Release{Version: c.Version, Checksum: c.Checksum}
	}
	g, err := graph.Build(rs, deadEnds)
	if err != nil {
		return nil, "", fmt.Errorf("%s in %s: %w", ref, repo, err)
	}
	data, err := g.Marshal()
	if err != nil {
		return nil, "", err
	}
	p := GraphPath(out, arch, stream)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, "", err
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return nil, "", err
	}
	if err := os.Rename(tmp, p); err != nil {
		return nil, "", err
	}
	return g, p, nil
}

func readDeadEnds(path string, into map[string]string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("dead-end list: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		v, reason, _ := strings.Cut(line, " ")
		into[v] = strings.TrimSpace(reason)
	}
	return sc.Err()
}
