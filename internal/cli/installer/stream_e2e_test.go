package installercli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/altcos/altcos-tools/deployarchive"
	"github.com/altcos/altcos-tools/image/site"
	"github.com/altcos/altcos-tools/image/stream"
	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/internal/testkit/archivetest"
	"github.com/altcos/altcos-tools/internal/testkit/gpgtest"
	"github.com/altcos/altcos-tools/internal/testkit/sfdisktest"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
)

// release is a signed release of stream sisyphus published by the download
// server's handler (altcos-build serve's: /artifacts/, /streams/) on
// 127.0.0.1: the real deploy archive of the test commit with its manifest,
// and small stand-ins for the ISO, QCOW2 (+ .xz, made by xz) and PXE files,
// every file signed, the stream metadata written by image/stream.
type release struct {
	base     string // the stream base URL: SERVER/streams/
	key      gpgtest.Key
	archive  string // the folder of the deploy archive and its manifest
	art      string // the folder of the other artifacts
	streams  string // the folder of the stream metadata
	manifest *deployarchive.Manifest
	// override serves other bytes for a file name (a tampering server);
	// a nil value answers 404.
	override map[string][]byte
}

func newRelease(t *testing.T) *release {
	t.Helper()
	tooltest.Root(t)
	tooltest.Tools(t, "ostree", "busybox", "losetup", "sfdisk", "mkfs.ext4", "mkfs.vfat", "grub-mkimage", "mmd", "mcopy", "blkid", "xz")
	ctx := context.Background()
	r := &release{key: gpgtest.NewKey(t, "ALTCOS Release"), art: t.TempDir(), override: map[string][]byte{}}
	r.archive, r.manifest = archivetest.Build(t, "")
	m := r.manifest
	put := func(name, content string) string {
		p := filepath.Join(r.art, name)
		if err := os.WriteFile(p, []byte(strings.Repeat(content+"\n", 1000)), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	iso := put("altcos-sisyphus-live."+m.Arch+".iso", "iso")
	qcow2 := put("altcos-sisyphus-qemu."+m.Arch+".qcow2", "qcow2")
	kernel, initrd, rootfs := put("kernel", "kernel"), put("initramfs.img", "initramfs"), put("rootfs.img", "rootfs")
	if err := run.Run(ctx, nil, run.Cmd{Argv: []string{"xz", "-k", "-T1", qcow2}}); err != nil {
		t.Fatal(err)
	}
	deploy := filepath.Join(r.archive, deployarchive.ArchiveName)
	for _, f := range []string{deploy, filepath.Join(r.archive, deployarchive.ManifestName), iso, qcow2, qcow2 + ".xz", kernel, initrd, rootfs} {
		if _, err := r.key.Signer().SignFile(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	streams := t.TempDir()
	r.streams = streams
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if b, ok := r.override[filepath.Base(req.URL.Path)]; ok {
			if b == nil {
				http.NotFound(w, req)
				return
			}
			w.Write(b)
			return
		}
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	h = site.Handler(site.Dirs{Artifacts: []string{r.archive, r.art}, Streams: streams})
	r.base = srv.URL + "/streams/"
	meta, err := stream.Make(stream.Options{Stream: m.Stream, Release: m.Version, Arch: m.Arch, BaseURL: srv.URL + "/artifacts/", Modified: time.Unix(1764547200, 0), Files: []stream.File{
		{Platform: "metal", Format: "tar.zst", Role: "disk", Path: deploy},
		{Platform: "metal", Format: "iso", Role: "disk", Path: iso},
		{Platform: "metal", Format: "pxe", Role: "kernel", Path: kernel},
		{Platform: "metal", Format: "pxe", Role: "initramfs", Path: initrd},
		{Platform: "metal", Format: "pxe", Role: "rootfs", Path: rootfs},
		{Platform: "qemu", Format: "qcow2", Role: "disk", Path: qcow2},
		{Platform: "qemu", Format: "qcow2.xz", Role: "disk", Path: qcow2 + ".xz", Uncompressed: qcow2},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Write(filepath.Join(streams, "sisyphus.json"), meta); err != nil {
		t.Fatal(err)
	}
	return r
}

// tamperStream serves the stream metadata with the artifact of the given
// platform and format replaced by data (its sha256 made to match, the
// genuine signature kept): what a server on the path could do.
func (r *release) tamperStream(t *testing.T, platform, format, name string, data []byte) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(r.streams, "sisyphus.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m stream.Metadata
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	a := m.Architectures[r.manifest.Arch].Artifacts[platform].Formats[format]["disk"]
	a.SHA256 = hex.EncodeToString(sum[:])
	m.Architectures[r.manifest.Arch].Artifacts[platform].Formats[format]["disk"] = a
	r.override["sisyphus.json"], _ = json.Marshal(m)
	r.override[name] = data
}

// files lists a folder's names, sorted.
func files(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

func sameFile(t *testing.T, got, want string) {
	t.Helper()
	a, err := os.ReadFile(got)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("%s differs from %s", got, want)
	}
}

// TestStreamListDownload: list-stream shows every format of the served
// release; download fetches each format with its signature verified (and
// written beside it), --decompress unpacks the qcow2.xz; a file the
// server changed (the stream's sha256 fixed up, the genuine signature
// kept) is refused and leaves nothing under its name.
func TestStreamListDownload(t *testing.T) {
	tooltest.Slow(t)
	r := newRelease(t)
	m := r.manifest
	ring := []string{"--stream-base-url", r.base, "-s", "sisyphus", "--gpg-keyring", r.key.Keyring}

	res := runCLI(t, "", append([]string{"list-stream"}, ring[:4]...)...)
	if res.code != 0 {
		t.Fatalf("list-stream: exit %d\n%s", res.code, res.errout)
	}
	t.Logf("list-stream:\n%s", res.out)
	for _, row := range [][]string{
		{"Architecture", "Platform", "Format", "Release", "Files", "Signed"},
		{m.Arch, "metal", "iso", m.Version, "disk", "yes"},
		{m.Arch, "metal", "pxe", m.Version, "initramfs,kernel,rootfs", "yes"},
		{m.Arch, "metal", "tar.zst", m.Version, "disk", "yes"},
		{m.Arch, "qemu", "qcow2", m.Version, "disk", "yes"},
		{m.Arch, "qemu", "qcow2.xz", m.Version, "disk", "yes"},
	} {
		if !containsFields(res.out, row) {
			t.Errorf("list-stream lacks the row %q", row)
		}
	}

	qcow2 := "altcos-sisyphus-qemu." + m.Arch + ".qcow2"
	iso := "altcos-sisyphus-live." + m.Arch + ".iso"
	for _, tc := range []struct {
		format string
		extra  []string
		want   map[string]string // file written -> the original
	}{
		{"iso", nil, map[string]string{iso: filepath.Join(r.art, iso), iso + ".sig": filepath.Join(r.art, iso+".sig")}},
		{"qcow2", nil, map[string]string{qcow2: filepath.Join(r.art, qcow2), qcow2 + ".sig": filepath.Join(r.art, qcow2+".sig")}},
		{"qcow2.xz", []string{"--decompress"}, map[string]string{qcow2: filepath.Join(r.art, qcow2)}},
		{"pxe", nil, map[string]string{"kernel": filepath.Join(r.art, "kernel"), "initramfs.img": filepath.Join(r.art, "initramfs.img"), "rootfs.img": filepath.Join(r.art, "rootfs.img"),
			"kernel.sig": filepath.Join(r.art, "kernel.sig"), "initramfs.img.sig": filepath.Join(r.art, "initramfs.img.sig"), "rootfs.img.sig": filepath.Join(r.art, "rootfs.img.sig")}},
		{"deploy", nil, map[string]string{deployarchive.ArchiveName: filepath.Join(r.archive, deployarchive.ArchiveName), deployarchive.ArchiveName + ".sig": filepath.Join(r.archive, deployarchive.ArchiveName+".sig"),
			deployarchive.ManifestName: filepath.Join(r.archive, deployarchive.ManifestName), deployarchive.ManifestName + ".sig": filepath.Join(r.archive, deployarchive.ManifestName+".sig")}},
	} {
		dir := t.TempDir()
		res := runCLI(t, "", append(append([]string{"download", "-f", tc.format, "-C", dir}, ring...), tc.extra...)...)
		if res.code != 0 {
			t.Errorf("download -f %s %v: exit %d\n%s", tc.format, tc.extra, res.code, res.errout)
			continue
		}
		var want []string
		for name, orig := range tc.want {
			want = append(want, name)
			sameFile(t, filepath.Join(dir, name), orig)
		}
		sort.Strings(want)
		if got := files(t, dir); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("download -f %s %v wrote %q, want %q", tc.format, tc.extra, got, want)
		}
		if !strings.Contains(res.errout, "sha256 and signature verified") {
			t.Errorf("download -f %s: no word of the signature check in\n%s", tc.format, res.errout)
		}
	}

	// The tampering server: the ISO changed, the stream's sha256 made to match.
	genuine, _ := os.ReadFile(filepath.Join(r.art, iso))
	r.tamperStream(t, "metal", "iso", iso, append([]byte("evil"), genuine...))
	dir := t.TempDir()
	res = runCLI(t, "", append([]string{"download", "-f", "iso", "-C", dir}, ring...)...)
	if res.code != 3 || !strings.Contains(res.errout, "is not signed by a key of "+r.key.Keyring) {
		t.Errorf("download of a tampered ISO: exit %d\n%s\nwant exit 3 naming the bad signature", res.code, res.errout)
	}
	if got := files(t, dir); len(got) != 0 {
		t.Errorf("download of a tampered ISO left %q in the folder, want nothing", got)
	}
	// The file changed on the way only (the stream's sha256 genuine).
	delete(r.override, "sisyphus.json")
	res = runCLI(t, "", append([]string{"download", "-f", "iso", "-C", dir}, ring...)...)
	if res.code != 3 || !strings.Contains(res.errout, "the stream says") {
		t.Errorf("download of a damaged ISO: exit %d\n%s\nwant exit 3 naming the sha256", res.code, res.errout)
	}
	if got := files(t, dir); len(got) != 0 {
		t.Errorf("download of a damaged ISO left %q in the folder, want nothing", got)
	}
}

// containsFields reports whether a line of out has exactly the fields row.
func containsFields(out string, row []string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.Join(strings.Fields(l), " ") == strings.Join(row, " ") {
			return true
		}
	}
	return false
}

// TestInstallStreamEndToEnd: kernel arguments altcos.inst.stream and
// altcos.inst.stream_base_url install the stream's newest release from the
// download server (its signatures verified) and say so. Unsigned (no .sig
// served) over plain http: refused before any write unless --image-sha256
// is given; a wrong --image-sha256 is refused before any write; the right
// one installs; and an archive that does not match it (the server changed
// the archive, not the manifest) is wiped after the fact.
func TestInstallStreamEndToEnd(t *testing.T) {
	tooltest.Slow(t)
	r := newRelease(t)
	dir := t.TempDir()
	img, sum, base := installTarget(t, dir)
	cmdline := filepath.Join(dir, "cmdline")
	os.WriteFile(cmdline, []byte("quiet altcos.inst.install_dev="+img+" altcos.inst.stream=sisyphus altcos.inst.stream_base_url="+r.base+" altcos.inst.skip_reboot\n"), 0o644)
	byKargs := append(append([]string{}, base...), "--cmdline-file", cmdline, "--gpg-keyring", r.key.Keyring)
	res := runCLI(t, "", byKargs...)
	if res.code != 0 {
		t.Fatalf("install by altcos.inst.stream: exit %d\n%s\n%s", res.code, res.out, res.errout)
	}
	want := "installing " + r.manifest.Version + ", the newest release of stream sisyphus, from the network: " + strings.TrimSuffix(r.base, "streams/") + "artifacts/" + deployarchive.ArchiveName
	if !strings.Contains(res.out, want) {
		t.Errorf("install by altcos.inst.stream says\n%s\nwant %q", res.out, want)
	}
	if _, ok := sfdisktest.Read(t, img); !ok {
		t.Fatalf("no partition table after the install from the stream")
	}
	f, _ := os.Create(img) // empty it again
	f.Truncate(8 << 30)
	f.WriteAt([]byte("disk content before the install"), 4<<20)
	f.Close()
	if fileSHA256(t, img) != sum {
		t.Fatal("the image was not reset")
	}

	// The same release unsigned: no .sig files served.
	for _, n := range []string{deployarchive.ArchiveName, deployarchive.ManifestName} {
		r.override[n+".sig"] = nil
	}
	genuine := r.manifest.Archive.SHA256
	stream := append(append([]string{}, base...), "--stream", "sisyphus", "--stream-base-url", r.base, "--gpg-keyring", r.key.Keyring, img)
	for _, tc := range []struct {
		name  string
		extra []string
		want  string
	}{
		{"unsigned, no --image-sha256", nil, "has no signature"},
		{"unsigned, a wrong --image-sha256", []string{"--image-sha256", strings.Repeat("0", 64)}, "--image-sha256 says " + strings.Repeat("0", 64) + "; nothing was written"},
	} {
		res := runCLI(t, "", append(stream, tc.extra...)...)
		if res.code == 0 || !strings.Contains(res.errout, tc.want) {
			t.Errorf("install --stream, %s: exit %d\n%s\nwant a refusal containing %q", tc.name, res.code, res.errout, tc.want)
		}
		if after := fileSHA256(t, img); after != sum {
			t.Errorf("install --stream, %s: the image changed, want it byte-identical", tc.name)
		}
	}
	res = runCLI(t, "", append(stream, "--image-sha256", strings.ToUpper(genuine))...)
	if res.code != 0 || !strings.Contains(res.out, "must match --image-sha256") {
		t.Fatalf("install --stream --image-sha256 (right hash, unsigned): exit %d\n%s\n%s", res.code, res.out, res.errout)
	}
	// The server changes the archive but not the manifest: seen only at
	// the end of the stream, after writing; the disk is wiped.
	bad, _ := os.ReadFile(filepath.Join(r.archive, deployarchive.ArchiveName))
	bad[len(bad)/2] ^= 0x55
	r.override[deployarchive.ArchiveName] = bad
	res = runCLI(t, "", append(stream, "--image-sha256", genuine, "--preserve-on-error")...)
	if res.code == 0 || !strings.Contains(res.errout, "the disk was wiped despite --preserve-on-error") {
		t.Errorf("install --stream --image-sha256 of a changed archive: exit %d\n%s\nwant it refused and the disk wiped", res.code, res.errout)
	}
	if tab, ok := sfdisktest.Read(t, img); ok {
		t.Errorf("after the changed archive sfdisk finds %+v, want the disk wiped", tab)
	}
}
