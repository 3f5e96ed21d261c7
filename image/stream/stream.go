// Package stream writes a stream's metadata (<stream>.json): the built
// artifacts of a release with their sha256, in the shape of Fedora CoreOS
// stream metadata, so tools that read FCOS streams read ALTCOS streams too
// (the tests decode it strictly with github.com/coreos/stream-metadata-go).
// Each artifact's location is an absolute URL under the base URL; a
// detached signature FILE.sig beside a file becomes its "signature" URL;
// a compressed variant (FILE.xz) carries the sha256 of the compressed file
// and the uncompressed-sha256 of what it unpacks to. The release index
// (releases.json, index.go) lists every release of the stream.
package stream

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/internal/fsutil"
	"github.com/altcos/altcos-tools/internal/gpg"
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
	// Signature is the URL of the detached signature (location + ".sig"),
	// when the file was signed (altcos-build sign).
	Signature string `json:"signature,omitempty"`
	SHA256    string `json:"sha256"`
	// UncompressedSHA256 is the sha256 of a compressed file's content.
	UncompressedSHA256 string `json:"uncompressed-sha256,omitempty"`
}

// File names a built file for the metadata.
type File struct {
	Platform string // metal, qemu
	Format   string // iso, pxe, qcow2, qcow2.xz
	Role     string // disk, kernel, initramfs, rootfs
	Path     string
	// Uncompressed is the file Path is the compressed form of (its
	// uncompressed-sha256); empty for a file that is not compressed.
	Uncompressed string
}

// roles are the files a format may have (Fedora CoreOS's ImageFormat).
var roles = map[string]bool{"disk": true, "kernel": true, "initramfs": true, "rootfs": true}

// Options are the inputs of Make.
type Options struct {
	Stream  string
	Release string // the version, e.g. sisyphus.20261125.0.0
	Arch    string // default altcos.DefaultArch
	// BaseURL prefixes each file's name in "location": an absolute
	// http(s) URL; "" leaves the bare name (local use only).
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
	base, err := checkBaseURL(o.BaseURL)
	if err != nil {
		return nil, err
	}
	platforms := map[string]Platform{}
	for _, f := range o.Files {
		if !roles[f.Role] {
			return nil, fmt.Errorf("%s %s artifact %s: role %q is not disk, kernel, initramfs or rootfs", f.Platform, f.Format, f.Path, f.Role)
		}
		a, err := artifact(f, base)
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
		p.Formats[f.Format][f.Role] = a
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

// checkBaseURL returns the base URL with one trailing slash, refusing one
// that is not absolute: consumers download from location as it is.
func checkBaseURL(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("base URL %q is not an absolute http(s) URL; give where the artifacts are published, e.g. https://builds.example/altcos/sisyphus/", raw)
	}
	return strings.TrimRight(raw, "/") + "/", nil
}

// artifact describes one file: location, sha256, and its signature and
// uncompressed sha256 when there are.
func artifact(f File, base string) (Artifact, error) {
	sum, err := fileSHA256(f.Path)
	if err != nil {
		return Artifact{}, err
	}
	a := Artifact{Location: base + filepath.Base(f.Path), SHA256: sum}
	if _, err := os.Stat(f.Path + gpg.SigExt); err == nil {
		a.Signature = a.Location + gpg.SigExt
	}
	if f.Uncompressed != "" {
		if a.UncompressedSHA256, err = fileSHA256(f.Uncompressed); err != nil {
			return Artifact{}, fmt.Errorf("uncompressed form of %s: %w", f.Path, err)
		}
	}
	return a, nil
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
