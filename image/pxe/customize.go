package pxe

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/u-root/mkuimage/cpio"

	"github.com/altcos/altcos-tools/image/iso"
	"github.com/altcos/altcos-tools/initramfs/live"
	"github.com/altcos/altcos-tools/internal/fsutil"
)

// Customize is `altcos-build pxe customize` (coreos-installer's): it
// writes o.Output, the live initramfs o.Input followed by one more cpio
// segment (newc, uncompressed) holding the customization (iso.Payload) in
// live.InitramfsCustomizeDir, where the live init reads it as it reads an
// ISO's altcos/ folder. The kernel unpacks concatenated cpio archives in
// order, so the PXE config is unchanged but for the new initramfs. A PXE
// boot has no menus: the live kernel arguments are the PXE config's. The
// Ignition config is checked against the installer's default spec (the
// initramfs does not say which OS it installs; the installer checks again).
func Customize(ctx context.Context, o iso.CustomizeOptions) error {
	if len(o.LiveArgs)+len(o.LiveDeleteArgs)+len(o.LiveReplaceArgs) > 0 {
		return fmt.Errorf("a PXE boot takes its live kernel arguments from the PXE config; --live-karg-* are for ISOs")
	}
	if got, err := Inspect(o.Input); err != nil {
		return err
	} else if got.Customization != nil {
		return fmt.Errorf("%s is customized already; customize the initramfs as built", o.Input)
	}
	_, files, err := iso.Payload(o, "")
	if err != nil {
		return fmt.Errorf("%s: %w", o.Input, err)
	}
	if files == nil {
		return fmt.Errorf("nothing to customize: give --dest-device (and more --dest-* options)")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	err = fsutil.WriteAtomic(o.Output, 0o644, func(w io.Writer) error {
		n, err := copyFrom(w, o.Input)
		if err != nil {
			return fmt.Errorf("read the initramfs: %w", err)
		}
		// A cpio archive starts on a 4-byte boundary; the kernel skips the
		// zeros between archives.
		if pad := (4 - n%4) % 4; pad > 0 {
			if _, err := w.Write(make([]byte, pad)); err != nil {
				return err
			}
		}
		return writeCustomizeCPIO(w, files)
	})
	if err != nil {
		return fmt.Errorf("write the customized initramfs %s: %w", o.Output, err)
	}
	return nil
}

// customizeDir is live.InitramfsCustomizeDir as a cpio name.
var customizeDir = strings.TrimPrefix(live.InitramfsCustomizeDir, "/")

// segmentStart is the start of every customization segment: its parent
// folders as reproducible records. Inspect finds the segment by it.
func segmentStart() []byte {
	var b bytes.Buffer
	rw := cpio.Newc.Writer(&b)
	for _, d := range parents(customizeDir) {
		rw.WriteRecord(cpio.MakeReproducible(cpio.Directory(d, 0o755))) // a bytes.Buffer does not fail
	}
	return b.Bytes()
}

// parents lists d and its parent folders, outermost first.
func parents(d string) []string {
	var dirs []string
	for ; d != "." && d != ""; d = path.Dir(d) {
		dirs = append([]string{d}, dirs...)
	}
	return dirs
}

// writeCustomizeCPIO writes files under customizeDir as one newc archive.
func writeCustomizeCPIO(w io.Writer, files []iso.File) error {
	bw := bufio.NewWriter(w)
	if _, err := bw.Write(segmentStart()); err != nil {
		return err
	}
	rw := cpio.Newc.Writer(bw)
	dirs := map[string]bool{}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	for _, f := range files {
		if d := path.Dir(f.Name); d != "." && !dirs[d] {
			dirs[d] = true
			if err := rw.WriteRecord(cpio.MakeReproducible(cpio.Directory(path.Join(customizeDir, d), 0o755))); err != nil {
				return err
			}
		}
		rec := cpio.StaticFile(path.Join(customizeDir, f.Name), string(f.Data), uint64(f.Mode.Perm()))
		if err := rw.WriteRecord(cpio.MakeReproducible(rec)); err != nil {
			return err
		}
	}
	if err := cpio.WriteTrailer(rw); err != nil {
		return err
	}
	return bw.Flush()
}

// Customized is what Inspect reads back from a live initramfs.
type Customized struct {
	Customization *live.Customization // nil when not customized
	Ignition      []byte
	Files         map[string][]byte // hooks/NAME, installer.d/NAME
}

// Inspect reads the customization segment of a live initramfs, if any: the
// last cpio archive in the file that starts with segmentStart.
func Inspect(initramfs string) (*Customized, error) {
	data, err := os.ReadFile(initramfs)
	if err != nil {
		return nil, fmt.Errorf("read the initramfs: %w", err)
	}
	var got Customized
	off := bytes.LastIndex(data, segmentStart())
	if off < 0 || off%4 != 0 {
		return &got, nil
	}
	recs, err := cpio.ReadAllRecords(cpio.Newc.Reader(bytes.NewReader(data[off:])))
	if err != nil {
		return nil, fmt.Errorf("%s: read the customization segment at byte %d: %w", initramfs, off, err)
	}
	files := map[string][]byte{}
	for _, r := range recs {
		name, ok := strings.CutPrefix(r.Name, customizeDir+"/")
		if !ok || r.Mode&cpio.S_IFMT != cpio.S_IFREG {
			continue
		}
		b, err := io.ReadAll(io.NewSectionReader(r.ReaderAt, 0, int64(r.FileSize)))
		if err != nil {
			return nil, fmt.Errorf("%s: read %s: %w", initramfs, r.Name, err)
		}
		files[name] = b
	}
	cj, ok := files[live.CustomizeName]
	if !ok {
		return &got, nil
	}
	if got.Customization, err = live.ParseCustomization(cj); err != nil {
		return nil, fmt.Errorf("%s: %w", initramfs, err)
	}
	got.Ignition = files[live.IgnitionName]
	delete(files, live.CustomizeName)
	delete(files, live.IgnitionName)
	got.Files = files
	return &got, nil
}
