// Package stream writes a stream's metadata (<stream>.json): the built
// artifacts of a release with their sha256, in the shape of Fedora CoreOS
// stream metadata, so tools that read FCOS streams read ALTCOS streams too.
package stream

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

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/internal/fsutil"
)

// Metadata is <stream>.json.
type Metadata struct {
	Stream        string                  `json:"stream"`
	Metadata      Meta                    `json:"metadata"`
	Architectures map[string]Architecture `json:"architectures"`
}

// Meta is the "metadata" object.
type Meta struct {
	LastModified string `json:"last-modified"`
	Generator    string `json:"generator,omitempty"`
}

// Architecture is one architecture's artifacts by platform.
type Architecture struct {
	Artifacts map[string]Platform `json:"artifacts"`
}

// Platform is one platform (metal, qemu): its release and formats.
type Platform struct {
	Release string `json:"release"`
	// Formats maps a format (iso, pxe, qcow2.xz) to its files by role
	// (disk; kernel, initramfs, rootfs).
	Formats map[string]map[string]Artifact `json:"formats"`
}

// Artifact is one downloadable file.
type Artifact struct {
	Location string `json:"location"`
	SHA256   string `json:"sha256"`
}

// File names a built file for the metadata.
type File struct {
	Platform string // metal, qemu
	Format   string // iso, pxe, qcow2, qcow2.xz
	Role     string // disk, kernel, initramfs, rootfs
	Path     string
}

// Options are the inputs of Make.
type Options struct {
	Stream  string
	Release string // the version, e.g. sisyphus.20261125.0.0
	Arch    string // default altcos.DefaultArch
	// BaseURL prefixes each file's name in "location"; "" leaves the name.
	BaseURL string
	Files   []File
	// Modified is metadata.last-modified (SOURCE_DATE_EPOCH, or now).
	Modified time.Time
}

// Make computes the metadata of the files (sha256 of each).
func Make(o Options) (*Metadata, error) {
	if o.Stream == "" || o.Release == "" {
		return nil, fmt.Errorf("stream metadata needs the stream and the release")
	}
	if len(o.Files) == 0 {
		return nil, fmt.Errorf("stream metadata for %s: no artifacts given", o.Stream)
	}
	arch := o.Arch
	if arch == "" {
		arch = altcos.DefaultArch
	}
	platforms := map[string]Platform{}
	for _, f := range o.Files {
		sum, err := fileSHA256(f.Path)
		if err != nil {
			return nil, fmt.Errorf("%s %s artifact: %w", f.Platform, f.Format, err)
		}
		p, ok := platforms[f.Platform]
		if !ok {
			p = Platform{Release: o.Release, Formats: map[string]map[string]Artifact{}}
		}
		if p.Formats[f.Format] == nil {
			p.Formats[f.Format] = map[string]Artifact{}
		}
		loc := filepath.Base(f.Path)
		if o.BaseURL != "" {
			loc = strings.TrimRight(o.BaseURL, "/") + "/" + loc
		}
		p.Formats[f.Format][f.Role] = Artifact{Location: loc, SHA256: sum}
		platforms[f.Platform] = p
	}
	return &Metadata{
		Stream:        o.Stream,
		Metadata:      Meta{LastModified: o.Modified.UTC().Format(time.RFC3339), Generator: "altcos-build stream"},
		Architectures: map[string]Architecture{arch: {Artifacts: platforms}},
	}, nil
}

// Write writes m as indented JSON to path (temporary name + rename).
func Write(path string, m *Metadata) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(path, append(data, '\n'), 0o644)
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
