package site

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

const base = "https://downloads.example/altcos/"

func fixture(t *testing.T) (streamDir, artA, artB string) {
	t.Helper()
	streamDir, artA, artB = t.TempDir(), t.TempDir(), t.TempDir()
	writeFixture(t, streamDir, artA, artB, base)
	return
}

func imagesOf(t *testing.T, d *Data, stream, version, arch string) []Image {
	t.Helper()
	for _, s := range d.Streams {
		for _, r := range s.Releases {
			if s.Name == stream && r.Version == version {
				return r.Images[arch]
			}
		}
	}
	t.Fatalf("no release %s %s", stream, version)
	return nil
}

// TestMake checks the data the page gets from the fixture: the order of
// streams, releases (newest first) and image types, the grouping of qcow2
// and qcow2.xz, the URLs, sums, sizes and signatures of the files.
func TestMake(t *testing.T) {
	streamDir, artA, _ := fixture(t)
	d, err := Make(Options{StreamDir: streamDir, ArtifactDirs: []string{artA}})
	if err != nil {
		t.Fatalf("Make = %v", err)
	}
	if want := []string{"aarch64", "x86_64"}; !slices.Equal(d.Arches, want) {
		t.Errorf("Arches = %v, want %v", d.Arches, want)
	}
	if d.DefaultArch != "x86_64" || d.DefaultStream != "sisyphus" || d.Title != "ALTCOS downloads" {
		t.Errorf("defaults = %q %q %q, want x86_64 sisyphus and the default title", d.DefaultArch, d.DefaultStream, d.Title)
	}
	var names []string
	for _, s := range d.Streams {
		var vs []string
		for _, r := range s.Releases {
			vs = append(vs, r.Version)
		}
		names = append(names, s.Name+":"+strings.Join(vs, ","))
	}
	if want := []string{"p10:" + p10Rel, "sisyphus:" + newRel + "," + oldRel}; !slices.Equal(names, want) {
		t.Errorf("streams:releases = %v, want %v", names, want)
	}
	sis := d.Streams[1]
	if sis.MetadataURL != "streams/sisyphus.json" || sis.LastModified != updated {
		t.Errorf("sisyphus metadata URL, last-modified = %q, %q", sis.MetadataURL, sis.LastModified)
	}
	if got := sis.Releases[1].Commits; !reflect.DeepEqual(got, map[string]string{"x86_64": commitOf(oldRel, "x86_64")}) {
		t.Errorf("%s commits = %v, want its x86_64 commit only", oldRel, got)
	}
	if got := imagesOf(t, d, "sisyphus", oldRel, "aarch64"); got != nil {
		t.Errorf("%s aarch64 images = %v, want none", oldRel, got)
	}

	imgs := imagesOf(t, d, "sisyphus", newRel, "x86_64")
	var types []string
	for _, img := range imgs {
		types = append(types, img.Type+"="+img.Label)
	}
	wantTypes := []string{"metal/iso=Live ISO", "metal/pxe=PXE: kernel, initramfs, rootfs",
		"qemu/qcow2=QCOW2 disk (QEMU)", "metal/deploy.tar.zst=Deploy archive"}
	if !slices.Equal(types, wantTypes) {
		t.Errorf("image types = %q, want %q", types, wantTypes)
	}
	var roles []string
	for _, f := range imgs[1].Variants[0].Files {
		roles = append(roles, f.Role)
	}
	if want := []string{"kernel", "initramfs", "rootfs"}; !slices.Equal(roles, want) {
		t.Errorf("pxe roles = %v, want %v", roles, want)
	}
	q := imgs[2]
	if len(q.Variants) != 2 || q.Variants[0].Compressed || !q.Variants[1].Compressed || q.Variants[1].Format != "qcow2.xz" {
		t.Fatalf("qcow2 variants = %+v, want qcow2 then qcow2.xz", q.Variants)
	}
	plain, xz := find(t, "sisyphus", newRel, "x86_64", "qcow2", "disk"), find(t, "sisyphus", newRel, "x86_64", "qcow2.xz", "disk")
	want := File{Role: "disk", Name: xz.name, URL: base + xz.name, SHA256: xz.sha(), UncompressedSHA256: plain.sha(),
		Signature: base + xz.name + ".sig", Size: int64(len(xz.data))}
	if got := q.Variants[1].Files[0]; got != want {
		t.Errorf("qcow2.xz file =\n %+v, want\n %+v", got, want)
	}

	// p10: bare names go under artifacts/; neither size nor signature is
	// known without its artifact folder.
	iso := find(t, "p10", p10Rel, "x86_64", "iso", "disk")
	got := imagesOf(t, d, "p10", p10Rel, "x86_64")[0].Variants[0].Files[0]
	if want := (File{Role: "disk", Name: iso.name, URL: "artifacts/" + iso.name, SHA256: iso.sha(), Size: -1}); got != want {
		t.Errorf("p10 iso = %+v, want %+v", got, want)
	}
	if p10q := imagesOf(t, d, "p10", p10Rel, "x86_64")[1]; len(p10q.Variants) != 1 || !p10q.Variants[0].Compressed {
		t.Errorf("p10 qcow2 variants = %+v, want the compressed one only", p10q.Variants)
	}
}

// TestMakeFindsSignatures: a FILE.sig beside an artifact is its signature
// when the metadata names none; the artifact's size is the file's.
func TestMakeFindsSignatures(t *testing.T) {
	streamDir, _, artB := fixture(t)
	iso := find(t, "p10", p10Rel, "x86_64", "iso", "disk")
	writeFile(t, filepath.Join(artB, iso.name+".sig"), []byte("sig"))
	d, err := Make(Options{StreamDir: streamDir, ArtifactDirs: []string{t.TempDir(), artB}, ArtifactsURL: "https://mirror.example/p10"})
	if err != nil {
		t.Fatal(err)
	}
	f := imagesOf(t, d, "p10", p10Rel, "x86_64")[0].Variants[0].Files[0]
	u := "https://mirror.example/p10/" + iso.name
	if f.URL != u || f.Signature != u+".sig" || f.Size != int64(len(iso.data)) {
		t.Errorf("p10 iso = %+v, want URL %s, its .sig and size %d", f, u, len(iso.data))
	}
}

func TestResolve(t *testing.T) {
	tests := []struct{ loc, want string }{
		{"x.iso", "artifacts/x.iso"},
		{"sub/x.iso", "artifacts/sub/x.iso"},
		{"https://h.example/a/x.iso", "https://h.example/a/x.iso"},
		{"http://127.0.0.1:8080/artifacts/x.iso", "http://127.0.0.1:8080/artifacts/x.iso"},
		{"javascript:alert(1)", ""},
		{"JavaScript:alert(1)", ""},
		{"file:///etc/passwd", ""},
		{"data:text/html,<script>alert(1)</script>", ""},
		{"//evil.example/x.iso", ""},
		{"https:///x.iso", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := resolve(tt.loc, "artifacts/")
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("resolve(%q) = %q, %v, want %q", tt.loc, got, err, tt.want)
		}
	}
}

// hostile is stream metadata whose names try to break out of the page.
const hostile = `{
  "stream": "</script><script>alert('stream')</script>",
  "metadata": {"last-modified": "<b>now</b>"},
  "architectures": {"x86_64<img src=x onerror=alert(1)>": {"artifacts": {"metal\"><script>alert(2)</script>": {
    "release": "sisyphus.1<script>alert('version')</script>",
    "formats": {"iso<!--": {"disk": {
      "location": "\"><script>alert(3)</script>.iso",
      "sha256": "` + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" + `"}}}}}}}}`

// TestRenderEscapes renders hostile names: no markup of theirs reaches the
// page (only its own two scripts), and the embedded data reads back as it was.
func TestRenderEscapes(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "evil.json"), []byte(hostile))
	d, err := Make(Options{StreamDir: dir})
	if err != nil {
		t.Fatalf("Make = %v", err)
	}
	page, err := Render(d)
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	if n := strings.Count(strings.ToLower(s), "<script"); n != 2 {
		t.Errorf("page has %d <script tags, want 2 (the data and app.js):\n%s", n, s)
	}
	// Escaped, the hostile strings show as text (&lt;script&gt; in HTML,
	// \u003cscript\u003e in the data); raw, they would be markup.
	for _, bad := range []string{"<script>alert", "<img", "<b>", "<!--", `"><script`} {
		if i := strings.Index(s, bad); i >= 0 {
			t.Errorf("page has %q unescaped: %s", bad, s[max(0, i-40):min(len(s), i+40)])
		}
	}
	if !strings.Contains(s, "sisyphus.1&lt;script&gt;alert(&#39;version&#39;)&lt;/script&gt;") {
		t.Errorf("the noscript table lacks the escaped version")
	}
	_, after, _ := strings.Cut(s, `<script type="application/json" id="site-data">`)
	raw, _, _ := strings.Cut(after, "</script>")
	var back Data
	if err := json.Unmarshal([]byte(raw), &back); err != nil {
		t.Fatalf("embedded data: %v\n%s", err, raw)
	}
	if a, b := mustJSON(t, back), mustJSON(t, d); a != b {
		t.Errorf("embedded data =\n %s, want\n %s", a, b)
	}
	if got := back.Streams[0].Releases[0].Version; got != "sisyphus.1<script>alert('version')</script>" {
		t.Errorf("embedded version = %q, want the hostile string as text", got)
	}

	// A location with another scheme is refused, naming the stream.
	bad := strings.Replace(hostile, `"\"><script>alert(3)</script>.iso"`, `"javascript:alert(4)"`, 1)
	writeFile(t, filepath.Join(dir, "evil.json"), []byte(bad))
	if _, err := Make(Options{StreamDir: dir}); err == nil || !strings.Contains(err.Error(), "javascript:alert(4)") {
		t.Errorf("Make(javascript: location) = %v, want an error naming it", err)
	}
}

// TestWrite writes the site twice: the three files, the same bytes, the
// data of Make in the page.
func TestWrite(t *testing.T) {
	streamDir, artA, _ := fixture(t)
	o := Options{StreamDir: streamDir, ArtifactDirs: []string{artA}}
	a, b := t.TempDir(), t.TempDir()
	sum, err := Write(o, a)
	if err != nil {
		t.Fatalf("Write = %v", err)
	}
	if want := (Summary{Streams: 2, Releases: 3, Files: 2 + 3*7}); *sum != want {
		t.Errorf("Write summary = %+v, want %+v", *sum, want)
	}
	if _, err := Write(o, b); err != nil {
		t.Fatal(err)
	}
	for _, name := range Files {
		da, err := os.ReadFile(filepath.Join(a, name))
		if err != nil {
			t.Fatal(err)
		}
		db, _ := os.ReadFile(filepath.Join(b, name))
		if !bytes.Equal(da, db) || len(da) == 0 {
			t.Errorf("%s differs between two writes of the same inputs (or is empty)", name)
		}
	}
	page, _ := os.ReadFile(filepath.Join(a, "index.html"))
	for _, want := range []string{"<title>ALTCOS downloads</title>", `src="app.js"`, `href="style.css"`, newRel, "gpg --verify FILE.sig FILE"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	for _, ext := range []string{"http://", "https://"} {
		// The only URLs in the page and its script are the artifacts' (nothing else is fetched).
		for _, name := range []string{"app.js", "style.css"} {
			data, _ := os.ReadFile(filepath.Join(a, name))
			if bytes.Contains(data, []byte(ext)) {
				t.Errorf("%s refers to %s: the site must not fetch from elsewhere", name, ext)
			}
		}
	}
	if _, err := Write(Options{StreamDir: t.TempDir()}, t.TempDir()); err == nil || !strings.Contains(err.Error(), "no stream metadata") {
		t.Errorf("Write(empty folder) = %v, want an error saying there is no stream metadata", err)
	}
}

func TestHumanSize(t *testing.T) {
	for n, want := range map[int64]string{-1: "unknown", 0: "0 B", 1023: "1023 B", 1024: "1 KiB", 1536: "1.5 KiB", 734003200: "700 MiB", 2 << 30: "2 GiB"} {
		if got := humanSize(n); got != want {
			t.Errorf("humanSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestLoadShapes reads the other shapes a release index may take: a
// <stream>.releases.json without "stream", one "commit" for every
// architecture, one architecture's "artifacts", fields of unexpected types
// and releases without artifacts (left out: nothing to download).
func TestLoadShapes(t *testing.T) {
	dir := t.TempDir()
	sha := strings.Repeat("cd", 32)
	writeFile(t, filepath.Join(dir, "p11.releases.json"), []byte(`{"metadata": "not an object", "releases": [
  {"version": "p11.1", "commit": "`+strings.Repeat("1", 64)+`", "arch": "x86_64",
   "artifacts": {"metal": {"release": "p11.1", "formats": {"iso": {"disk": {"location": "a.iso", "sha256": "`+sha+`"}}}}}},
  {"version": "p11.2", "commit": {"checksum": "`+strings.Repeat("2", 64)+`"}, "architectures": "unexpected", "size": "big"},
  {"version": "p11.3", "commit": 3, "architectures": {"aarch64": {"artifacts": {"metal": {"release": "p11.3", "formats": {
    "raw.gz": {"disk": {"location": "https://h.example/r.raw.gz", "sha256": "`+sha+`", "uncompressed-sha256": "`+sha+`", "size": 42}}}}}}}}
]}`))
	d, err := Make(Options{StreamDir: dir})
	if err != nil {
		t.Fatalf("Make = %v", err)
	}
	if len(d.Streams) != 1 || d.Streams[0].Name != "p11" || d.DefaultStream != "p11" || d.DefaultArch != "x86_64" {
		t.Fatalf("streams = %+v, defaults %s %s, want p11 only", d.Streams, d.DefaultStream, d.DefaultArch)
	}
	rs := d.Streams[0].Releases
	if len(rs) != 2 || rs[0].Version != "p11.3" || rs[1].Version != "p11.1" {
		t.Fatalf("releases = %+v, want p11.3 then p11.1 (p11.2 has no artifacts)", rs)
	}
	if c := rs[1].Commits["x86_64"]; c != strings.Repeat("1", 64) {
		t.Errorf("p11.1 x86_64 commit = %q", c)
	}
	raw := rs[0].Images["aarch64"]
	want := []Image{{Type: "metal/raw", Label: "Raw disk", Variants: []Variant{{Compressed: true, Format: "raw.gz", Files: []File{
		{Role: "disk", Name: "r.raw.gz", URL: "https://h.example/r.raw.gz", SHA256: sha, UncompressedSHA256: sha, Size: 42}}}}}}
	if mustJSON(t, raw) != mustJSON(t, want) {
		t.Errorf("p11.3 aarch64 images = %s, want %s", mustJSON(t, raw), mustJSON(t, want))
	}
}
