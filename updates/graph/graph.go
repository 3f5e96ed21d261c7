// Package graph is the update graph of a stream in Cincinnati JSON: the
// client the agent uses to find its next update (Fetch, Graph.Next), the
// writer that `altcos-build graph` uses to publish it (Build,
// WriteFromRepo) and the handler that serves it with its repository
// (Handler, for `altcos-build serve` and the machine tests).
//
// The shape follows Fedora CoreOS's graph so that a zincati-style agent reads
// it: nodes carry version, payload (an ostree commit checksum, scheme
// "checksum") and metadata strings, among them the age index that orders
// releases and the dead-end mark; edges are [from, to] node indices.
package graph

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
)

// Metadata keys, the ones Fedora CoreOS's graph and zincati use.
const (
	KeyAgeIndex      = "org.fedoraproject.coreos.releases.age_index"
	KeyScheme        = "org.fedoraproject.coreos.scheme"
	KeyDeadEnd       = "org.fedoraproject.coreos.updates.deadend"
	KeyDeadEndReason = "org.fedoraproject.coreos.updates.deadend_reason"
	SchemeChecksum   = "checksum"
)

// Node is one release.
type Node struct {
	Version  string            `json:"version"`
	Payload  string            `json:"payload"`
	Metadata map[string]string `json:"metadata"`
}

// AgeIndex is the release's position in the stream's history (0 = oldest).
func (n Node) AgeIndex() int {
	i, _ := strconv.Atoi(n.Metadata[KeyAgeIndex])
	return i
}

// DeadEnd reports whether the release is marked as one nodes must not update
// into automatically (it has no way out).
func (n Node) DeadEnd() bool { return n.Metadata[KeyDeadEnd] == "true" }

// Graph is a Cincinnati update graph.
type Graph struct {
	Nodes []Node   `json:"nodes"`
	Edges [][2]int `json:"edges"`
}

var checksumRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Parse decodes and validates a graph: every node has a version, a checksum
// payload and an integer age index, and every edge names existing nodes.
func Parse(data []byte) (*Graph, error) {
	var g Graph
	if err := json.Unmarshal(data, &g); err != nil {
		return nil, fmt.Errorf("parse update graph: %w", err)
	}
	if g.Nodes == nil {
		return nil, fmt.Errorf("parse update graph: no \"nodes\" list")
	}
	// json fills a [2]int from any array, dropping or zeroing elements: read
	// the edges again with their real length.
	var raw struct{ Edges [][]int }
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("parse update graph: %w", err)
	}
	for i, e := range raw.Edges {
		if len(e) != 2 {
			b, _ := json.Marshal(e)
			return nil, fmt.Errorf("parse update graph: edge %d %s has %d elements; want [from, to] node indices", i, b, len(e))
		}
	}
	byPayload := map[string]int{}
	for i, n := range g.Nodes {
		if n.Version == "" {
			return nil, fmt.Errorf("parse update graph: node %d has no version", i)
		}
		if !checksumRE.MatchString(n.Payload) {
			return nil, fmt.Errorf("parse update graph: node %d (%s) payload %q is not an ostree commit checksum", i, n.Version, n.Payload)
		}
		if s := n.Metadata[KeyScheme]; s != "" && s != SchemeChecksum {
			return nil, fmt.Errorf("parse update graph: node %d (%s) has payload scheme %q, want %q", i, n.Version, s, SchemeChecksum)
		}
		if _, err := strconv.Atoi(n.Metadata[KeyAgeIndex]); err != nil {
			return nil, fmt.Errorf("parse update graph: node %d (%s) has no integer %s", i, n.Version, KeyAgeIndex)
		}
		// Find returns the first node of a payload: a second one would be
		// a release the agent can never be on, and an ambiguous graph.
		if j, dup := byPayload[n.Payload]; dup {
			return nil, fmt.Errorf("parse update graph: nodes %d (%s) and %d (%s) have the same payload %s; each release needs its own commit", j, g.Nodes[j].Version, i, n.Version, n.Payload)
		}
		byPayload[n.Payload] = i
	}
	for _, e := range g.Edges {
		for _, x := range e {
			if x < 0 || x >= len(g.Nodes) {
				return nil, fmt.Errorf("parse update graph: edge %v names node %d of %d", e, x, len(g.Nodes))
			}
		}
	}
	return &g, nil
}

// Find returns the index of the node whose payload is checksum, or -1.
func (g *Graph) Find(checksum string) int {
	for i, n := range g.Nodes {
		if n.Payload == checksum {
			return i
		}
	}
	return -1
}

// FindVersion returns the index of the node with version v, or -1.
func (g *Graph) FindVersion(v string) int {
	for i, n := range g.Nodes {
		if n.Version == v {
			return i
		}
	}
	return -1
}

// Policy is what the agent must not update into.
type Policy struct {
	AllowDowngrade bool
	// Skip holds payloads never to offer: versions already deployed (the
	// rollback entry: updating to it again would loop after a rollback) and
	// versions that failed their health checks.
	Skip map[string]bool
}

// Next picks the update for a node booted into commit booted: among the
// edges out of the booted release, the target with the highest age index
// that is not a dead end, not skipped, and not older unless downgrades are
// allowed. ok is false when there is no update; err when the booted commit
// is not in the graph.
func (g *Graph) Next(booted string, p Policy) (n Node, ok bool, err error) {
	from := g.Find(booted)
	if from < 0 {
		return Node{}, false, fmt.Errorf("booted commit %s is not in the update graph", booted)
	}
	age := g.Nodes[from].AgeIndex()
	best := -1
	for _, e := range g.Edges {
		if e[0] != from || e[1] == from {
			continue
		}
		c := g.Nodes[e[1]]
		if c.DeadEnd() || p.Skip[c.Payload] || c.Payload == booted {
			continue
		}
		if c.AgeIndex() <= age && !p.AllowDowngrade {
			continue
		}
		if best < 0 || c.AgeIndex() > g.Nodes[best].AgeIndex() {
			best = e[1]
		}
	}
	if best < 0 {
		return Node{}, false, nil
	}
	return g.Nodes[best], true, nil
}
