package stream

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/altcos/altcos-tools/internal/fsutil"
)

// IndexName is the release index beside <stream>.json.
const IndexName = "releases.json"

// Index is releases.json: every release of the stream, oldest first
// (newest last), each with its commit per architecture and the URL of its
// own stream metadata (its artifacts). It has the shape of Fedora CoreOS's
// release index, and the update graph can be built from it (Releases).
type Index struct {
	Note     string         `json:"note"`
	Releases []IndexRelease `json:"releases"`
	Metadata IndexMeta      `json:"metadata"`
	Stream   string         `json:"stream"`
}

// IndexMeta is the index's "metadata" object.
type IndexMeta struct {
	LastModified string `json:"last-modified"`
}

// IndexRelease is one release of the index.
type IndexRelease struct {
	Commits []Commit `json:"commits"`
	Version string   `json:"version"`
	// MetadataURL is the release's stream metadata: its artifacts.
	MetadataURL string `json:"metadata"`
}

// Commit is a release's ostree commit for one architecture.
type Commit struct {
	Architecture string `json:"architecture"`
	Checksum     string `json:"checksum"`
}

// ReadIndex reads path; a missing file is a new, empty index of stream.
func ReadIndex(path, stream string) (*Index, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Index{Stream: stream, Releases: []IndexRelease{}}, nil
	}
	if err != nil {
		return nil, err
	}
	var ix Index
	if err := json.Unmarshal(b, &ix); err != nil {
		return nil, fmt.Errorf("release index %s: %w; repair or remove it", path, err)
	}
	if ix.Stream != stream {
		return nil, fmt.Errorf("release index %s is of stream %q, not %q; give the index of this stream", path, ix.Stream, stream)
	}
	return &ix, nil
}

// Add records release r (its commit for one architecture): a new version
// goes last; a known one gets the commit added or replaced, and its
// metadata URL updated.
func (ix *Index) Add(r IndexRelease, modified time.Time) {
	ix.Note = "For use only by ALTCOS tools (altcos-build). Stream metadata (<stream>.json) is the public interface."
	ix.Metadata = IndexMeta{LastModified: modified.UTC().Format(time.RFC3339)}
	for i := range ix.Releases {
		old := &ix.Releases[i]
		if old.Version != r.Version {
			continue
		}
		old.MetadataURL = r.MetadataURL
		for _, c := range r.Commits {
			replaced := false
			for j := range old.Commits {
				if old.Commits[j].Architecture == c.Architecture {
					old.Commits[j], replaced = c, true
				}
			}
			if !replaced {
				old.Commits = append(old.Commits, c)
			}
		}
		return
	}
	ix.Releases = append(ix.Releases, r)
}

// Checksums returns the releases' (version, commit) for arch in order,
// oldest first: the input of the update graph (graph.Build).
func (ix *Index) Checksums(arch string) (versions, commits []string) {
	for _, r := range ix.Releases {
		for _, c := range r.Commits {
			if c.Architecture == arch {
				versions, commits = append(versions, r.Version), append(commits, c.Checksum)
			}
		}
	}
	return versions, commits
}

// WriteIndex writes ix as indented JSON (temporary name + rename).
func WriteIndex(path string, ix *Index) error {
	data, err := json.MarshalIndent(ix, "", "  ")
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(path, append(data, '\n'), 0o644)
}
