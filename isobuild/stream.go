package isobuild

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// StreamMetadata is <stream>.json in the shape of Fedora CoreOS stream
// metadata, so tools that read FCOS streams read ALTCOS streams too.
type StreamMetadata struct {
	Stream        string                     `json:"stream"`
	Metadata      StreamMeta                 `json:"metadata"`
	Architectures map[string]StreamArchitect `json:"architectures"`
}

// StreamMeta is the "metadata" object.
type StreamMeta struct {
	LastModified string `json:"last-modified"`
	Generator    string `json:"generator,omitempty"`
}

// StreamArchitect is one architecture's artifacts by platform.
type StreamArchitect struct {
	Artifacts map[string]StreamPlatform `json:"artifacts"`
}

// StreamPlatform is one platform (metal, qemu): its release and formats.
type StreamPlatform struct {
	Release string `json:"release"`
	// Formats maps a format (iso, pxe, qcow2.xz) to its files by role
	// (disk; kernel, initramfs, rootfs).
	Formats map[string]map[string]StreamArtifact `json:"formats"`
}

// StreamArtifact is one downloadable file.
type StreamArtifact struct {
	Location string `json:"location"`
	SHA256   string `json:"sha256"`
}

// StreamFile names a built file for the metadata.
type StreamFile struct {
	Platform string // metal, qemu
	Format   string // iso, pxe, qcow2, qcow2.xz
	Role     string // disk, kernel, initramfs, rootfs
	Path     string
}

// StreamOptions are the inputs of Stream.
type StreamOptions struct {
	Stream  string
	Release string // the version, e.g. sisyphus.20261125.0.0
	Arch    string // default x86_64
	// BaseURL prefixes each file's name in "location"; "" leaves the name.
	BaseURL string
	Files   []StreamFile
	// Modified is metadata.last-modified (SOURCE_DATE_EPOCH, or now).
	Modified time.Time
}

// Stream computes the metadata of the files (sha256 of each).
func Stream(o StreamOptions) (*StreamMetadata, error) {
	if o.Stream == "" || o.Release == "" {
		return nil, fmt.Errorf("stream metadata needs the stream and the release")
	}
	if len(o.Files) == 0 {
		return nil, fmt.Errorf("stream metadata for %s: no artifacts given", o.Stream)
	}
	arch := o.Arch
	if arch == "" {
		arch = DefaultArch
	}
	platforms := map[string]StreamPlatform{}
	for _, f := range o.Files {
		sum, err := fileSHA256(f.Path)
		if err != nil {
			return nil, fmt.Errorf("%s %s artifact: %w", f.Platform, f.Format, err)
		}
		p, ok := platforms[f.Platform]
		if !ok {
			p = StreamPlatform{Release: o.Release, Formats: map[string]map[string]StreamArtifact{}}
		}
		if p.Formats[f.Format] == nil {
			p.Formats[f.Format] = map[string]StreamArtifact{}
		}
		loc := filepath.Base(f.Path)
		if o.BaseURL != "" {
			loc = strings.TrimRight(o.BaseURL, "/") + "/" + loc
		}
		p.Formats[f.Format][f.Role] = StreamArtifact{Location: loc, SHA256: sum}
		platforms[f.Platform] = p
	}
	return &StreamMetadata{
		Stream:        o.Stream,
		Metadata:      StreamMeta{LastModified: o.Modified.UTC().Format(time.RFC3339), Generator: "altcos-build stream"},
		Architectures: map[string]StreamArchitect{arch: {Artifacts: platforms}},
	}, nil
}

// WriteStream writes m as indented JSON to path (temporary name + rename).
func WriteStream(path string, m *StreamMetadata) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return artifactWriteAtomically(path, func(w io.Writer) error {
		_, err := w.Write(append(data, '\n'))
		return err
	})
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
