package compose

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/ostree"
	"github.com/altcos/altcos-tools/updates/graph"
)

// TestComposeStreams composes sisyphus and p10 (small fake trees, different
// package sets) into one repository, interleaved, and checks that the
// streams never cross: each ref's parents, versions and graph hold only its
// own commits, p10's first commit is p10.<date>.0.0 however many sisyphus
// commits came before, and no update from a p10 commit leads to sisyphus.
func TestComposeStreams(t *testing.T) {
	ctx := composeEnv(t)
	repo := filepath.Join(t.TempDir(), "repo")
	r := &ostree.Repo{Path: repo}

	sis := defaultFake()
	sis.pkgs["podman"] = "4.3.1+ds1-8+b1"
	p10 := defaultFake() // no podman: the p10 list is sisyphus's without the container engine

	on := func(stream string) func(*Options) { return func(o *Options) { o.Stream = stream } }
	step := func(stream string, f fakeTree, date, want string, created bool) Result {
		t.Helper()
		res, err := compose(t, ctx, repo, f, date, on(stream))
		if err != nil {
			t.Fatalf("Run(%s, %s) error %v", stream, date, err)
		}
		if res.Version != want || res.Created != created || res.Ref != altcos.Ref(altcos.DefaultArch, stream) {
			t.Fatalf("Run(%s, %s) = %s on %s (created %v), want %s (created %v)", stream, date, res.Version, res.Ref, res.Created, want, created)
		}
		return res
	}

	s0 := step("sisyphus", sis, "20261125", "sisyphus.20261125.0.0", true)
	p0 := step("p10", p10, "20261125", "p10.20261125.0.0", true)
	if p0.Parent != "" {
		t.Errorf("first p10 commit has parent %s, want none (sisyphus's head is %s)", p0.Parent, s0.Commit)
	}
	sis.pkgs["bash"] = "5.2.15-2+b3"
	s1 := step("sisyphus", sis, "20261126", "sisyphus.20261125.0.1", true)
	// sisyphus moved on; p10's tree did not: no p10 commit.
	step("p10", p10, "20261126", "p10.20261125.0.0", false)
	p10.pkgs["bash"] = "5.2.15-2+b3"
	p10.pkgs["vim-tiny"] = "2:9.0.1378-2"
	p1 := step("p10", p10, "20261127", "p10.20261127.1.0", true)
	if p1.Parent != p0.Commit {
		t.Errorf("p10.20261127.1.0 has parent %s, want p10's %s", p1.Parent, p0.Commit)
	}
	// Unchanged sisyphus after p10's commits: still its own head.
	step("sisyphus", sis, "20261127", "sisyphus.20261125.0.1", false)

	refs, err := r.Refs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(refs)
	if want := []string{"altcos/x86_64/p10", "altcos/x86_64/sisyphus"}; !slices.Equal(refs, want) {
		t.Errorf("Refs() = %q, want %q", refs, want)
	}

	out := t.TempDir()
	commits := map[string][]string{"sisyphus": {s0.Commit, s1.Commit}, "p10": {p0.Commit, p1.Commit}}
	for stream, own := range commits {
		ref := altcos.Ref(altcos.DefaultArch, stream)
		if got, err := r.Metadata(ctx, ref, altcos.MetaStream); err != nil || got != stream {
			t.Errorf("Metadata(%s, %s) = %q, %v, want %q", ref, altcos.MetaStream, got, err, stream)
		}
		g, path, err := graph.WriteFromRepo(ctx, repo, altcos.DefaultArch, stream, out, nil)
		if err != nil {
			t.Fatalf("WriteFromRepo(%s) error %v", stream, err)
		}
		if want := graph.Path(out, altcos.DefaultArch, stream); path != want {
			t.Errorf("WriteFromRepo(%s) wrote %s, want %s", stream, path, want)
		}
		var payloads []string
		for _, n := range g.Nodes {
			payloads = append(payloads, n.Payload)
			if !strings.HasPrefix(n.Version, stream+".") {
				t.Errorf("graph of %s has node %s (%s), want only %s versions", stream, n.Version, n.Payload, stream)
			}
		}
		if !slices.Equal(payloads, own) {
			t.Errorf("graph of %s has payloads %q, want its commits %q, oldest first", stream, payloads, own)
		}
		// The agent on the stream's first commit updates to its head, never
		// to the other stream; the other stream's commits are unknown to it.
		if n, ok, err := g.Next(own[0], graph.Policy{}); err != nil || !ok || n.Payload != own[1] {
			t.Errorf("graph of %s: Next(%s) = %s, %v, %v, want %s", stream, own[0], n.Payload, ok, err, own[1])
		}
		for other, theirs := range commits {
			if other == stream {
				continue
			}
			for _, c := range theirs {
				if g.Find(c) >= 0 {
					t.Errorf("graph of %s has %s's commit %s", stream, other, c)
				}
				if _, _, err := g.Next(c, graph.Policy{}); err == nil {
					t.Errorf("graph of %s: Next(%s's %s) = nil error, want not in the graph", stream, other, c)
				}
			}
		}
	}
}
