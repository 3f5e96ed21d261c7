// Package deployarchive defines the deploy archive: a complete ostree sysroot
// made at image build time by the real ostree CLI, packed as one sequential
// tar+zstd stream, plus a JSON manifest. The installer streams it onto the
// target's root and boot filesystems (see DESIGN.md, "Why a deploy archive").
package deployarchive

// File names of an archive and its manifest on the live medium and in build output.
const (
	ArchiveName  = "deploy.tar.zst"
	ManifestName = "deploy.json"
	// MediumDir is the folder of the live ISO that holds both files.
	MediumDir = "altcos"
	// LiveMount is where the live system mounts the medium it booted from (the
	// ISO, or the PXE rootfs).
	LiveMount = "/run/altcos/medium"
	// LiveArchive is the installer's default archive: the live medium's.
	LiveArchive = LiveMount + "/" + MediumDir + "/" + ArchiveName
)

// Manifest describes one deploy archive. It is what the installer reads to fill
// its plan (stream, version, the highest Ignition spec the OS reads) and to check
// the archive (sha256, sizes) before the first write.
type Manifest struct {
	Format  int    `json:"format"` // 1
	OSName  string `json:"osname"` // alt-containeros
	Arch    string `json:"arch"`   // x86_64
	Stream  string `json:"stream"` // sisyphus
	Ref     string `json:"ref"`    // altcos/x86_64/sisyphus
	Version string `json:"version"`
	Commit  string `json:"commit"`
	// IgnitionSpec is the highest Ignition config spec the OS's Ignition reads, e.g. "3.3.0".
	IgnitionSpec string `json:"ignition_spec"`
	// Kargs are the stream's kernel arguments written by `ostree admin deploy`.
	Kargs []string `json:"kargs,omitempty"`
	// Archive is the compressed stream: its file name, size and sha256 (hex).
	Archive FileInfo `json:"archive"`
	// RootBytes and BootBytes are the unpacked sizes of the root and boot
	// filesystem contents, used to refuse a too-small disk before writing.
	RootBytes int64 `json:"root_bytes"`
	BootBytes int64 `json:"boot_bytes"`
}

// FileInfo names a file with its size and sha256.
type FileInfo struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}
