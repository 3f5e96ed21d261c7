package deployarchive

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"regexp"
	"runtime"
)

// Format is the manifest format this code reads and writes.
const Format = 1

var hexSHA256 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ErrChecksum and ErrTruncated classify a bad archive stream.
var (
	ErrChecksum  = errors.New("archive sha256 differs from its manifest")
	ErrTruncated = errors.New("archive is shorter than its manifest says")
	ErrTooLong   = errors.New("archive is longer than its manifest says")
)

// ReadManifest reads and validates the manifest at path.
func ReadManifest(path string) (*Manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read deploy archive manifest: %w", err)
	}
	m, err := ParseManifest(b)
	if err != nil {
		return nil, fmt.Errorf("deploy archive manifest %s: %w", path, err)
	}
	return m, nil
}

// ParseManifest decodes and validates a manifest.
func ParseManifest(b []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("not a manifest: %w", err)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Validate checks that every field the installer relies on is present.
func (m *Manifest) Validate() error {
	switch {
	case m.Format != Format:
		return fmt.Errorf("format %d is not %d; use an installer of the same release as the archive", m.Format, Format)
	case m.OSName == "" || m.Arch == "" || m.Stream == "" || m.Ref == "" || m.Commit == "":
		return errors.New("osname, arch, stream, ref and commit must all be set")
	case m.Archive.Name == "" || m.Archive.Size <= 0:
		return errors.New("archive name and size must be set")
	case !hexSHA256.MatchString(m.Archive.SHA256):
		return fmt.Errorf("archive sha256 %q is not 64 lower-case hex digits", m.Archive.SHA256)
	case m.RootBytes <= 0 || m.BootBytes <= 0:
		return errors.New("root_bytes and boot_bytes must be positive")
	}
	return nil
}

// Marshal renders m as indented JSON with a final newline.
func (m *Manifest) Marshal() []byte {
	b, _ := json.MarshalIndent(m, "", "  ") // a struct of plain fields always marshals
	return append(b, '\n')
}

// HostArch is the ostree name of the architecture this program runs on
// (x86_64, aarch64), or GOARCH when there is no mapping.
func HostArch() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "aarch64"
	case "386":
		return "i686"
	}
	return runtime.GOARCH
}

// CheckArch refuses an archive made for another architecture than arch.
func (m *Manifest) CheckArch(arch string) error {
	if m.Arch != arch {
		return fmt.Errorf("deploy archive is for %s, this machine is %s; use the %s image", m.Arch, arch, arch)
	}
	return nil
}

// Verifier passes a stream through while counting and hashing it; at EOF it
// fails with ErrTruncated or ErrChecksum unless the stream is exactly the
// manifest's, and it fails with ErrTooLong as soon as it has read more.
type Verifier struct {
	r    io.Reader
	h    hash.Hash
	n    int64
	size int64
	sum  string
}

// NewVerifier checks r against size and sha256 (hex) as it is read.
func NewVerifier(r io.Reader, size int64, sum string) *Verifier {
	return &Verifier{r: r, h: sha256.New(), size: size, sum: sum}
}

// N is the number of bytes read so far.
func (v *Verifier) N() int64 { return v.n }

func (v *Verifier) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	v.n += int64(n)
	v.h.Write(p[:n])
	if v.n > v.size {
		return n, fmt.Errorf("%w (%d bytes)", ErrTooLong, v.size)
	}
	if errors.Is(err, io.EOF) {
		if v.n < v.size {
			return n, fmt.Errorf("%w: %d of %d bytes: %w", ErrTruncated, v.n, v.size, io.ErrUnexpectedEOF)
		}
		if got := hex.EncodeToString(v.h.Sum(nil)); got != v.sum {
			return n, fmt.Errorf("%w: got %s, want %s", ErrChecksum, got, v.sum)
		}
	}
	return n, err
}

// HashFile returns the size and sha256 (hex) of the file at path.
func HashFile(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.CopyBuffer(h, f, make([]byte, 1<<20))
	if err != nil {
		return 0, "", fmt.Errorf("read %s: %w", path, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}
