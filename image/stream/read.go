package stream

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
)

// URL is where a stream's metadata is under a stream base URL, as
// coreos-installer builds it: BASE/<stream>.json (a base without a
// trailing slash is taken as a folder all the same).
func URL(base, stream string) (string, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("stream base URL %q is not an absolute http(s) URL; give where <stream>.json is published, e.g. http://HOST:PORT/streams/ (altcos-build serve)", base)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u.JoinPath(stream + ".json").String(), nil
}

// Decode reads stream metadata (what Write writes, or Fedora CoreOS's):
// unknown fields are ignored, as any consumer of FCOS streams does; a
// document without a stream name or architectures is refused.
func Decode(r io.Reader) (*Metadata, error) {
	var m Metadata
	if err := json.NewDecoder(io.LimitReader(r, 16<<20)).Decode(&m); err != nil {
		return nil, fmt.Errorf("stream metadata: %w", err)
	}
	if m.Stream == "" || len(m.Architectures) == 0 {
		return nil, fmt.Errorf("stream metadata names no stream or no architectures; is it a <stream>.json?")
	}
	return &m, nil
}

// Format returns the files of one format (by role) and its release.
func (m *Metadata) Format(arch, platform, format string) (map[string]Artifact, string, error) {
	a, ok := m.Architectures[arch]
	if !ok {
		return nil, "", fmt.Errorf("stream %s has no architecture %s (it has %s)", m.Stream, arch, strings.Join(keys(m.Architectures), ", "))
	}
	p, ok := a.Artifacts[platform]
	if !ok || len(p.Formats[format]) == 0 {
		return nil, "", fmt.Errorf("stream %s has no %s %s for %s (altcos-installer list-stream shows what it has)", m.Stream, platform, format, arch)
	}
	return p.Formats[format], p.Release, nil
}

// Row is one format of the metadata, for listing.
type Row struct {
	Arch, Platform, Format, Release string
	Roles                           []string // its files: disk; kernel, initramfs, rootfs
	Signed                          bool     // every file has a signature
}

// Rows lists the formats of m sorted by architecture, platform and format.
func (m *Metadata) Rows() []Row {
	var rows []Row
	for _, arch := range keys(m.Architectures) {
		ps := m.Architectures[arch].Artifacts
		for _, plat := range keys(ps) {
			for _, f := range keys(ps[plat].Formats) {
				files := ps[plat].Formats[f]
				r := Row{Arch: arch, Platform: plat, Format: f, Release: ps[plat].Release, Roles: keys(files), Signed: true}
				for _, a := range files {
					r.Signed = r.Signed && a.Signature != ""
				}
				rows = append(rows, r)
			}
		}
	}
	return rows
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
