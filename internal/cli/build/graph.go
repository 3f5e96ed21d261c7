package buildcli

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/image/stream"
	"github.com/altcos/altcos-tools/internal/cli"
	"github.com/altcos/altcos-tools/internal/fsutil"
	"github.com/altcos/altcos-tools/internal/stdio"
	"github.com/altcos/altcos-tools/updates/graph"
)

// runGraph is `altcos-build graph`:
//
//	altcos-build graph (--repo R | --releases releases.json) [--stream S] [--arch A]
//	                   [--dead-end VERSION]... [--dead-ends FILE] -o OUT
//
// It writes the Cincinnati graph of altcos/<arch>/<stream> from the commits
// of the ref in R, oldest first: age_index is the position in the history,
// payload the commit checksum (scheme "checksum"), an edge goes from every
// release to every newer one, and dead ends (by version or checksum, from
// --dead-end or from FILE lines "VERSION [REASON]") have no way out (see
// graph.WriteFromRepo). Any static web server then answers the agent's GET
// {base}/v1/graph?basearch=..&stream=.. with base http://host/<arch>/<stream>;
// `altcos-build serve` also answers it at the top level. With --releases
// the releases are those of the release index (altcos-build stream
// --releases), oldest first, instead of the ref's history.
func runGraph(ctx context.Context, args []string, io stdio.Stdio) error {
	fs := cli.NewFlagSet("graph", "usage: altcos-build graph --repo R [--stream S] [--dead-end V]... -o OUT", io.Err)
	repo := fs.String("repo", "", "ostree repository with the stream's ref")
	releases := fs.String("releases", "", "release index (releases.json) to build the graph from, instead of --repo")
	stream := fs.String("stream", altcos.DefaultStream, "stream: the ref is altcos/<arch>/<stream>")
	arch := fs.String("arch", altcos.DefaultArch, "architecture in the ref")
	out := fs.String("o", "", "output directory (the graph goes to OUT/<arch>/<stream>/v1/graph)")
	deadFile := fs.String("dead-ends", "", "file of dead-end releases, one `VERSION [REASON]` a line")
	var dead cli.List
	fs.Var(&dead, "dead-end", "a dead-end release, VERSION or checksum (repeatable)")
	if help, err := cli.ParseFlags(fs, args); help || err != nil {
		return err
	}
	if (*repo == "") == (*releases == "") || *out == "" || fs.NArg() > 0 {
		return &stdio.UsageError{Msg: "graph needs one of --repo and --releases, -o, and no arguments; run `altcos-build graph -h`"}
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
	write := graph.WriteFromRepo
	if *releases != "" {
		write = func(_ context.Context, _, arch, stream, out string, deadEnds map[string]string) (*graph.Graph, string, error) {
			return graphFromIndex(*releases, arch, stream, out, deadEnds)
		}
	}
	g, p, err := write(ctx, *repo, *arch, *stream, *out, deadEnds)
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "%s: %d releases, %d edges, newest %s -> %s\n", altcos.Ref(*arch, *stream), len(g.Nodes), len(g.Edges), g.Nodes[len(g.Nodes)-1].Version, p)
	return nil
}

// graphFromIndex writes the graph of the releases of the index for arch.
func graphFromIndex(index, arch, streamName, out string, deadEnds map[string]string) (*graph.Graph, string, error) {
	ix, err := stream.ReadIndex(index, streamName)
	if err != nil {
		return nil, "", err
	}
	vs, cs := ix.Checksums(arch)
	if len(vs) == 0 {
		return nil, "", fmt.Errorf("release index %s has no release for %s; add one with altcos-build stream --releases", index, arch)
	}
	rs := make([]graph.Release, len(vs))
	for i := range vs {
		rs[i] = graph.Release{Version: vs[i], Checksum: cs[i]}
	}
	g, err := graph.Build(rs, deadEnds)
	if err != nil {
		return nil, "", fmt.Errorf("release index %s: %w", index, err)
	}
	data, err := g.Marshal()
	if err != nil {
		return nil, "", err
	}
	p := graph.Path(out, arch, streamName)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, "", err
	}
	return g, p, fsutil.WriteFileAtomic(p, data, 0o644)
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
