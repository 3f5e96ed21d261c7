package site

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// The site reads the stream metadata through its own small types rather than
// image/stream's: it must read what any version of the writer (or Fedora
// CoreOS) publishes, so unknown fields are ignored and the fields added over
// time (signature, uncompressed-sha256, size) are optional.

// streamDoc is <stream>.json: FCOS stream metadata.
type streamDoc struct {
	Stream        string             `json:"stream"`
	Metadata      metaDoc            `json:"metadata"`
	Architectures map[string]archDoc `json:"architectures"`
}

type metaDoc struct {
	LastModified string `json:"last-modified"`
}

type archDoc struct {
	Artifacts map[string]platformDoc `json:"artifacts"`
}

type platformDoc struct {
	Release string  `json:"release"`
	Formats formats `json:"formats"`
}

// formats maps a format (iso, pxe, qcow2.xz) to its files by role (disk;
// kernel, initramfs, rootfs).
type formats = map[string]map[string]artifactDoc

type artifactDoc struct {
	Location           string `json:"location"`
	SHA256             string `json:"sha256"`
	Signature          string `json:"signature"`
	UncompressedSHA256 string `json:"uncompressed-sha256"`
	Size               int64  `json:"size"`
}

// releasesDoc is a release index (releases.json): every release of a
// stream, newest last. Each release names its version, its commit ("commit":
// "<checksum>", or FCOS's "commits": [{architecture, checksum}]) and its
// artifacts, in the stream's shape ("architectures": {arch: {artifacts}}) or
// for one architecture ("arch" or "architecture", plus "artifacts"). Fields
// of other types (FCOS's "metadata" URL) are ignored.
type releasesDoc struct {
	Stream   string            `json:"stream"`
	Metadata json.RawMessage   `json:"metadata"`
	Releases []json.RawMessage `json:"releases"`
}

type releaseDoc struct {
	Version       string
	Commits       map[string]string // arch -> checksum ("" for "any")
	Architectures map[string]archDoc
}

// decodeRelease decodes one entry of "releases" field by field, so that a
// field of an unexpected type loses that field only.
func decodeRelease(raw json.RawMessage) (releaseDoc, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return releaseDoc{}, err
	}
	str := func(k string) string {
		var s string
		json.Unmarshal(fields[k], &s)
		return s
	}
	r := releaseDoc{Version: str("version"), Commits: map[string]string{}}
	if c := str("commit"); c != "" {
		r.Commits[""] = c
	} else {
		var obj struct{ Checksum string }
		if json.Unmarshal(fields["commit"], &obj) == nil && obj.Checksum != "" {
			r.Commits[""] = obj.Checksum
		}
	}
	var commits []struct {
		Architecture string `json:"architecture"`
		Checksum     string `json:"checksum"`
	}
	json.Unmarshal(fields["commits"], &commits)
	for _, c := range commits {
		r.Commits[c.Architecture] = c.Checksum
	}
	json.Unmarshal(fields["architectures"], &r.Architectures)
	var one map[string]platformDoc
	if json.Unmarshal(fields["artifacts"], &one) == nil && len(one) > 0 {
		arch := str("arch")
		if arch == "" {
			arch = str("architecture")
		}
		if r.Architectures == nil {
			r.Architectures = map[string]archDoc{}
		}
		r.Architectures[arch] = archDoc{Artifacts: one}
	}
	if r.Version == "" {
		return r, fmt.Errorf("a release without a version")
	}
	return r, nil
}

// input is what the stream folder holds for one stream.
type input struct {
	name       string
	stream     *streamDoc
	streamFile string // its file name, for the metadata link
	releases   []releaseDoc
}

// load reads the stream folder: every DIR/*.json and DIR/*/releases.json.
// A document with "architectures" is stream metadata, one with "releases" a
// release index; they are matched by their "stream" (else by file name:
// <stream>.json, <stream>.releases.json, <stream>/releases.json). Other JSON
// files (a deploy manifest, say) are skipped.
func load(dir string) ([]*input, error) {
	top, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	sub, _ := filepath.Glob(filepath.Join(dir, "*", "releases.json"))
	byName := map[string]*input{}
	get := func(name string) *input {
		if byName[name] == nil {
			byName[name] = &input{name: name}
		}
		return byName[name]
	}
	for _, p := range append(top, sub...) {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var probe struct {
			Stream        string          `json:"stream"`
			Architectures json.RawMessage `json:"architectures"`
			Releases      json.RawMessage `json:"releases"`
		}
		if json.Unmarshal(data, &probe) != nil {
			continue // not a JSON object: not ours
		}
		rel, _ := filepath.Rel(dir, p)
		name := probe.Stream
		if name == "" {
			name = nameFromFile(rel)
		}
		switch {
		case probe.Architectures != nil:
			var doc streamDoc
			if err := json.Unmarshal(data, &doc); err != nil {
				return nil, fmt.Errorf("stream metadata %s: %w", p, err)
			}
			in := get(name)
			if in.stream != nil {
				return nil, fmt.Errorf("stream %q is described twice, in %s and %s", name, in.streamFile, rel)
			}
			in.stream, in.streamFile = &doc, filepath.ToSlash(rel)
		case probe.Releases != nil:
			var doc releasesDoc
			if err := json.Unmarshal(data, &doc); err != nil {
				return nil, fmt.Errorf("release index %s: %w", p, err)
			}
			in := get(name)
			for i, raw := range doc.Releases {
				r, err := decodeRelease(raw)
				if err != nil {
					return nil, fmt.Errorf("release index %s: release %d: %w", p, i, err)
				}
				in.releases = append(in.releases, r)
			}
		}
	}
	var out []*input
	for _, in := range byName {
		out = append(out, in)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// nameFromFile is the stream a file name stands for: sisyphus.json,
// sisyphus.releases.json, sisyphus/releases.json.
func nameFromFile(rel string) string {
	rel = filepath.ToSlash(rel)
	if d, f := filepath.Split(rel); f == "releases.json" && d != "" {
		return strings.TrimSuffix(d, "/")
	}
	return strings.TrimSuffix(strings.TrimSuffix(rel, ".json"), ".releases")
}
