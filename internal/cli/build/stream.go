package buildcli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/altcos/altcos-tools/deployarchive"
	"github.com/altcos/altcos-tools/image"
	"github.com/altcos/altcos-tools/image/pxe"
	"github.com/altcos/altcos-tools/image/stream"
	"github.com/altcos/altcos-tools/internal/cli"
	"github.com/altcos/altcos-tools/internal/stdio"
)

// runStream is `altcos-build stream`:
//
//	altcos-build stream --archive DIR [--iso F] [--pxe-dir D] [--qcow2 F]
//	                    [--base-url URL] [--releases FILE] -o OUT/<stream>.json
//
// It writes Fedora CoreOS-shaped stream metadata for the given artifacts:
// architectures.<arch>.artifacts.metal.formats.{iso,pxe,pxe.xz,tar.zst} and
// artifacts.qemu.formats.{qcow2,qcow2.xz}, with location (absolute under
// --base-url), sha256, signature (when FILE.sig exists: altcos-build sign)
// and uncompressed-sha256 for .xz variants found beside their files. metal
// tar.zst is the deploy archive of --archive (deploy.json beside it).
// Stream and release come from the archive's manifest;
// metadata.last-modified is SOURCE_DATE_EPOCH, or now. --releases adds the
// release (its commit and the URL of its own copy of the metadata,
// releases/<release>.json beside OUT) to the release index FILE
// (releases.json, newest last), from which `altcos-build graph --releases`
// builds the update graph.
func runStream(ctx context.Context, args []string, io stdio.Stdio) error {
	fs := cli.NewFlagSet("stream", "usage: altcos-build stream --archive DIR [--iso F] [--pxe-dir D] [--qcow2 F] [--base-url URL] [-o FILE]", io.Err)
	archive := fs.String("archive", "", "folder with deploy.json: the stream and release")
	iso := fs.String("iso", "", "live ISO (metal iso)")
	pxeDir := fs.String("pxe-dir", "", "folder of altcos-build pxe output (metal pxe)")
	qcow2 := fs.String("qcow2", "", "QCOW2 image (qemu qcow2; a .xz beside it becomes qcow2.xz)")
	baseURL := fs.String("base-url", "", "absolute URL the artifacts are published under")
	releases := fs.String("releases", "", "release index to add this release to (releases.json; created when missing)")
	out := fs.String("o", "", "output file (default: <stream>.json)")
	if help, err := cli.ParseFlags(fs, args); help || err != nil {
		return err
	}
	if *archive == "" || fs.NArg() != 0 {
		return &stdio.UsageError{Msg: "stream needs --archive DIR (for stream and release) and artifact flags; run `altcos-build stream -h`"}
	}
	m, err := image.ReadArchiveManifest(*archive)
	if err != nil {
		return err
	}
	var files []stream.File
	files = append(files, stream.File{Platform: "metal", Format: "tar.zst", Role: "disk", Path: filepath.Join(*archive, deployarchive.ArchiveName)})
	if *iso != "" {
		files = append(files, stream.File{Platform: "metal", Format: "iso", Role: "disk", Path: *iso})
	}
	if *pxeDir != "" {
		a := pxe.Names(*pxeDir, m.Arch, m.Version)
		files = append(files,
			stream.File{Platform: "metal", Format: "pxe", Role: "kernel", Path: a.Kernel},
			stream.File{Platform: "metal", Format: "pxe", Role: "initramfs", Path: a.Initramfs},
			stream.File{Platform: "metal", Format: "pxe", Role: "rootfs", Path: a.Rootfs})
		if _, err := os.Stat(a.Rootfs + ".xz"); err == nil {
			files = append(files, stream.File{Platform: "metal", Format: "pxe.xz", Role: "rootfs", Path: a.Rootfs + ".xz", Uncompressed: a.Rootfs})
		}
	}
	if *qcow2 != "" {
		files = append(files, stream.File{Platform: "qemu", Format: "qcow2", Role: "disk", Path: *qcow2})
		if _, err := os.Stat(*qcow2 + ".xz"); err == nil {
			files = append(files, stream.File{Platform: "qemu", Format: "qcow2.xz", Role: "disk", Path: *qcow2 + ".xz", Uncompressed: *qcow2})
		}
	}
	epoch, err := cli.SourceDateEpoch()
	if err != nil {
		return err
	}
	if epoch.IsZero() {
		epoch = time.Now()
	}
	meta, err := stream.Make(stream.Options{Stream: m.Stream, Release: m.Version, Arch: m.Arch, BaseURL: *baseURL, Files: files, Modified: epoch})
	if err != nil {
		return err
	}
	path := *out
	if path == "" {
		path = m.Stream + ".json"
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := stream.Write(path, meta); err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "%s: stream %s, release %s, %d artifacts\n", path, m.Stream, m.Version, len(files))
	if *releases == "" {
		return nil
	}
	own := filepath.Join(filepath.Dir(path), "releases", m.Version+".json")
	if err := os.MkdirAll(filepath.Dir(own), 0o755); err != nil {
		return err
	}
	if err := stream.Write(own, meta); err != nil {
		return err
	}
	ix, err := stream.ReadIndex(*releases, m.Stream)
	if err != nil {
		return err
	}
	url := "releases/" + m.Version + ".json"
	if *baseURL != "" {
		url = strings.TrimRight(*baseURL, "/") + "/" + url
	}
	ix.Add(stream.IndexRelease{Version: m.Version, Commits: []stream.Commit{{Architecture: m.Arch, Checksum: m.Commit}}, MetadataURL: url}, epoch)
	if err := stream.WriteIndex(*releases, ix); err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "%s: %d releases, newest %s\n", *releases, len(ix.Releases), ix.Releases[len(ix.Releases)-1].Version)
	return nil
}
