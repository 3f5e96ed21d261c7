package graph

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// Release is one commit of a stream, oldest first when given to Build.
type Release struct {
	Version  string
	Checksum string
}

// Build makes the graph of a stream from its commits in commit order (oldest
// first): age_index is the position, the payload the checksum, and every
// release has an edge to every newer one, except the dead ends, which keep
// their incoming edges but get no outgoing ones (a node that reaches a dead
// end needs an operator). deadEnds maps a version or checksum to its reason.
func Build(releases []Release, deadEnds map[string]string) (*Graph, error) {
	g := &Graph{Nodes: []Node{}, Edges: [][2]int{}}
	seen := map[string]bool{}
	for i, r := range releases {
		if !checksumRE.MatchString(r.Checksum) {
			return nil, fmt.Errorf("build update graph: release %q has checksum %q", r.Version, r.Checksum)
		}
		if r.Version == "" {
			return nil, fmt.Errorf("build update graph: commit %s has no version metadata; commit it with --add-metadata-string=version=VERSION", r.Checksum)
		}
		if seen[r.Version] || seen[r.Checksum] {
			return nil, fmt.Errorf("build update graph: release %s (%s) appears twice", r.Version, r.Checksum)
		}
		seen[r.Version], seen[r.Checksum] = true, true
		md := map[string]string{
			KeyAgeIndex: strconv.Itoa(i),
			KeyScheme:   SchemeChecksum,
		}
		reason, dead := deadEnds[r.Version]
		if !dead {
			reason, dead = deadEnds[r.Checksum]
		}
		if dead {
			md[KeyDeadEnd] = "true"
			if reason != "" {
				md[KeyDeadEndReason] = reason
			}
		}
		g.Nodes = append(g.Nodes, Node{Version: r.Version, Payload: r.Checksum, Metadata: md})
	}
	for k := range deadEnds {
		if !seen[k] {
			return nil, fmt.Errorf("build update graph: dead end %q is not a release of the stream", k)
		}
	}
	for from := range g.Nodes {
		if g.Nodes[from].DeadEnd() {
			continue
		}
		for to := from + 1; to < len(g.Nodes); to++ {
			g.Edges = append(g.Edges, [2]int{from, to})
		}
	}
	return g, nil
}

// Marshal renders g as indented JSON with a final newline.
func (g *Graph) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
