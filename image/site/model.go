package site

import (
	"fmt"
	"maps"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Data is what the page shows, embedded in it as JSON (the script reads it;
// nothing is fetched to draw the page).
type Data struct {
	Title   string   `json:"title"`
	Arches  []string `json:"arches"`
	Streams []Stream `json:"streams"`
	// DefaultArch and DefaultStream are selected when the page opens.
	DefaultArch   string `json:"defaultArch"`
	DefaultStream string `json:"defaultStream"`
}

// Stream is one stream and its releases, newest first.
type Stream struct {
	Name         string    `json:"name"`
	LastModified string    `json:"lastModified,omitempty"`
	MetadataURL  string    `json:"metadataURL,omitempty"`
	Releases     []Release `json:"releases"`
}

// Release is one version: its commit and its images by architecture.
type Release struct {
	Version string             `json:"version"`
	Commits map[string]string  `json:"commits,omitempty"` // arch -> ostree commit
	Images  map[string][]Image `json:"images"`            // arch -> images
}

// Image is one image type (a platform's format without its compression):
// the live ISO, the PXE files, the QCOW2, the deploy archive.
type Image struct {
	Type     string    `json:"type"` // platform/format, e.g. qemu/qcow2
	Label    string    `json:"label"`
	Variants []Variant `json:"variants"` // uncompressed first
}

// Variant is one compression of an image: format qcow2 or qcow2.xz.
type Variant struct {
	Compressed bool   `json:"compressed"`
	Format     string `json:"format"`
	Files      []File `json:"files"`
}

// File is one download.
type File struct {
	Role               string `json:"role"` // disk, kernel, initramfs, rootfs
	Name               string `json:"name"`
	URL                string `json:"url"`
	SHA256             string `json:"sha256"`
	UncompressedSHA256 string `json:"uncompressedSHA256,omitempty"`
	Signature          string `json:"signature,omitempty"`
	Size               int64  `json:"size"` // -1: unknown (the page asks the server)
}

// compressions are the format suffixes that make a compressed variant of the
// format before them (FCOS: qcow2.xz of qcow2).
var compressions = []string{".xz", ".gz"}

// labels name the known formats; an unknown one reads "format (platform)".
var labels = map[string]string{
	"iso":            "Live ISO",
	"pxe":            "PXE: kernel, initramfs, rootfs",
	"qcow2":          "QCOW2 disk (QEMU)",
	"raw":            "Raw disk",
	"deploy":         "Deploy archive",
	"deploy.tar.zst": "Deploy archive",
	"tar.zst":        "Deploy archive",
}

// typeOrder puts the usual choices first.
var typeOrder = []string{"iso", "pxe", "qcow2", "raw", "deploy", "deploy.tar.zst", "tar.zst"}

var roleOrder = []string{"disk", "kernel", "initramfs", "rootfs"}

var hexRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// model turns the stream folder's documents into Data.
func model(ins []*input, o Options) (*Data, error) {
	d := &Data{Title: o.Title, DefaultArch: o.DefaultArch, DefaultStream: o.DefaultStream}
	arches := map[string]bool{}
	for _, in := range ins {
		s, err := streamModel(in, o)
		if err != nil {
			return nil, fmt.Errorf("stream %s: %w", in.name, err)
		}
		if len(s.Releases) == 0 {
			continue
		}
		for _, r := range s.Releases {
			for a := range r.Images {
				arches[a] = true
			}
		}
		d.Streams = append(d.Streams, s)
	}
	for a := range arches {
		d.Arches = append(d.Arches, a)
	}
	sort.Strings(d.Arches)
	if len(d.Streams) == 0 {
		return nil, fmt.Errorf("no stream metadata with artifacts (<stream>.json, releases.json) in %s", o.StreamDir)
	}
	return d, nil
}

// streamModel merges a stream's release index with its metadata: the index
// gives the history (newest last), the metadata the current release; a
// release in both takes the files the index lacks from the metadata.
func streamModel(in *input, o Options) (Stream, error) {
	s := Stream{Name: in.name}
	type rel struct {
		Release
		files map[string]map[string]formats // arch -> platform -> formats
	}
	var order []*rel
	byVersion := map[string]*rel{}
	get := func(v string) *rel {
		if byVersion[v] == nil {
			byVersion[v] = &rel{Release: Release{Version: v, Commits: map[string]string{}}, files: map[string]map[string]formats{}}
			order = append(order, byVersion[v])
		}
		return byVersion[v]
	}
	// add adds the files of a platform that r does not have yet.
	add := func(r *rel, arch, platform string, fs formats) {
		if r.files[arch] == nil {
			r.files[arch] = map[string]formats{}
		}
		if r.files[arch][platform] == nil {
			r.files[arch][platform] = formats{}
		}
		dst := r.files[arch][platform]
		for format, roles := range fs {
			if dst[format] == nil {
				dst[format] = map[string]artifactDoc{}
			}
			for role, a := range roles {
				if _, ok := dst[format][role]; !ok {
					dst[format][role] = a
				}
			}
		}
	}
	for _, rd := range in.releases {
		r := get(rd.Version)
		for a, c := range rd.Commits {
			r.Commits[a] = c
		}
		for arch, ad := range rd.Architectures {
			if arch == "" && len(rd.Architectures) == 1 && in.stream != nil && len(in.stream.Architectures) == 1 {
				for only := range in.stream.Architectures {
					arch = only
				}
			}
			for platform, p := range ad.Artifacts {
				add(r, arch, platform, p.Formats)
			}
		}
	}
	if in.stream != nil {
		s.LastModified = in.stream.Metadata.LastModified
		if o.StreamURL != "" && in.streamFile != "" {
			s.MetadataURL = strings.TrimRight(o.StreamURL, "/") + "/" + in.streamFile
		}
		arches := slices.Sorted(maps.Keys(in.stream.Architectures))
		for _, arch := range arches {
			ad := in.stream.Architectures[arch]
			for _, platform := range slices.Sorted(maps.Keys(ad.Artifacts)) {
				p := ad.Artifacts[platform]
				if p.Release == "" {
					return s, fmt.Errorf("%s %s artifacts have no release", arch, platform)
				}
				add(get(p.Release), arch, platform, p.Formats)
			}
		}
	}
	if len(in.releases) == 0 {
		// Without an index the metadata's releases (one, usually) are ordered by version.
		sort.SliceStable(order, func(i, j int) bool { return order[i].Version < order[j].Version })
	}
	for i := len(order) - 1; i >= 0; i-- {
		r := order[i]
		// One "commit" for all architectures: spread it over them.
		if c, ok := r.Commits[""]; ok {
			delete(r.Commits, "")
			for arch := range r.files {
				if r.Commits[arch] == "" {
					r.Commits[arch] = c
				}
			}
		}
		r.Images = map[string][]Image{}
		for arch, platforms := range r.files {
			if arch == "" {
				return s, fmt.Errorf("release %s: artifacts of no architecture", r.Version)
			}
			imgs, err := images(platforms, o)
			if err != nil {
				return s, fmt.Errorf("release %s %s: %w", r.Version, arch, err)
			}
			r.Images[arch] = imgs
		}
		if len(r.Images) > 0 {
			s.Releases = append(s.Releases, r.Release)
		}
	}
	return s, nil
}

// images groups one architecture's formats into image types with their
// compressed and uncompressed variants.
func images(platforms map[string]formats, o Options) ([]Image, error) {
	byType := map[string]*Image{}
	for platform, formats := range platforms {
		for format, roles := range formats {
			base, compressed := format, false
			for _, c := range compressions {
				if b, ok := strings.CutSuffix(format, c); ok && b != "" {
					base, compressed = b, true
				}
			}
			key := platform + "/" + base
			img := byType[key]
			if img == nil {
				label := labels[base]
				if label == "" {
					label = base + " (" + platform + ")"
				}
				img = &Image{Type: key, Label: label}
				byType[key] = img
			}
			v := Variant{Compressed: compressed, Format: format}
			for _, role := range sortedRoles(roles) {
				f, err := file(role, roles[role], o)
				if err != nil {
					return nil, fmt.Errorf("%s %s %s: %w", platform, format, role, err)
				}
				v.Files = append(v.Files, f)
			}
			img.Variants = append(img.Variants, v)
		}
	}
	// Two platforms' images of one format (a raw disk for metal and for
	// qemu, say) are told apart by their platform.
	seen := map[string]int{}
	for _, img := range byType {
		seen[img.Label]++
	}
	var out []Image
	for key, img := range byType {
		if seen[img.Label] > 1 {
			p, _, _ := strings.Cut(key, "/")
			img.Label += " (" + p + ")"
		}
		sort.Slice(img.Variants, func(i, j int) bool {
			a, b := img.Variants[i], img.Variants[j]
			if a.Compressed != b.Compressed {
				return !a.Compressed
			}
			return a.Format < b.Format
		})
		out = append(out, *img)
	}
	format := func(typ string) string { _, f, _ := strings.Cut(typ, "/"); return f }
	sort.Slice(out, func(i, j int) bool {
		if ri, rj := rank(typeOrder, format(out[i].Type)), rank(typeOrder, format(out[j].Type)); ri != rj {
			return ri < rj
		}
		return out[i].Type < out[j].Type
	})
	return out, nil
}

func sortedRoles(roles map[string]artifactDoc) []string {
	rs := slices.Sorted(maps.Keys(roles))
	sort.SliceStable(rs, func(i, j int) bool { return rank(roleOrder, rs[i]) < rank(roleOrder, rs[j]) })
	return rs
}

// rank is s's place in order; names not in it come after, alike.
func rank(order []string, s string) int {
	if i := slices.Index(order, s); i >= 0 {
		return i
	}
	return len(order)
}

// file resolves one artifact: its URL (a bare name is published under
// Options.ArtifactsURL), its signature (the "signature" field, else FILE.sig
// when one of the artifact folders holds it), its size (the "size" field,
// else the file's in an artifact folder, else unknown).
func file(role string, a artifactDoc, o Options) (File, error) {
	u, err := resolve(a.Location, o.ArtifactsURL)
	if err != nil {
		return File{}, fmt.Errorf("location: %w", err)
	}
	if !hexRE.MatchString(a.SHA256) {
		return File{}, fmt.Errorf("sha256 %q is not 64 lowercase hex digits", a.SHA256)
	}
	if a.UncompressedSHA256 != "" && !hexRE.MatchString(a.UncompressedSHA256) {
		return File{}, fmt.Errorf("uncompressed-sha256 %q is not 64 lowercase hex digits", a.UncompressedSHA256)
	}
	pu, _ := url.Parse(u)
	f := File{Role: role, Name: path.Base(pu.Path), URL: u, SHA256: a.SHA256, UncompressedSHA256: a.UncompressedSHA256, Size: -1}
	if f.Name == "." || f.Name == "/" {
		return File{}, fmt.Errorf("location %q names no file", a.Location)
	}
	if a.Signature != "" {
		if f.Signature, err = resolve(a.Signature, o.ArtifactsURL); err != nil {
			return File{}, fmt.Errorf("signature: %w", err)
		}
	}
	if a.Size > 0 {
		f.Size = a.Size
	}
	for _, dir := range o.ArtifactDirs {
		fi, err := os.Stat(filepath.Join(dir, f.Name))
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		if f.Size < 0 {
			f.Size = fi.Size()
		}
		if _, err := os.Stat(filepath.Join(dir, f.Name+".sig")); err == nil && f.Signature == "" {
			f.Signature = u + ".sig"
		}
		break
	}
	return f, nil
}

// resolve makes a location a link: an http(s) URL stays, a relative one
// (a file name) goes under base; any other scheme (javascript:, file:) is
// refused, so the page never links to one.
func resolve(loc, base string) (string, error) {
	u, err := url.Parse(loc)
	if err != nil {
		return "", err
	}
	switch {
	case u.Scheme == "http" || u.Scheme == "https":
		if u.Host == "" {
			return "", fmt.Errorf("%q has no host", loc)
		}
		return loc, nil
	case u.Scheme != "" || u.Host != "" || loc == "":
		return "", fmt.Errorf("%q is neither an http(s) URL nor a file name", loc)
	}
	if base == "" {
		return loc, nil
	}
	return strings.TrimRight(base, "/") + "/" + strings.TrimLeft(loc, "/"), nil
}
