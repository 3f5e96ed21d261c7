// Package site writes the download site of the ALTCOS streams: a static page
// (index.html, app.js, style.css; nothing fetched from elsewhere) on which a
// user picks architecture, stream, version, image type and compression, and
// gets the links, sizes, sha256 sums and signatures of the files, with the
// commands that verify them. The page is made from the stream metadata
// (<stream>.json) and release indexes (releases.json) of a folder, rendered
// by html/template with the data embedded as JSON; Handler serves it with the
// artifacts, the streams, the ostree repository and the update graph.
package site

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"strings"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/internal/fsutil"
)

//go:embed assets
var assets embed.FS

// Files are the files of a site, all written by Write.
var Files = []string{"index.html", "app.js", "style.css"}

// Options are the inputs of Write.
type Options struct {
	// StreamDir holds <stream>.json and release indexes (see load).
	StreamDir string
	// ArtifactDirs are folders that hold the artifacts under their names;
	// the sizes and FILE.sig signatures of the files found are put on the
	// page. Optional: the page asks the server for unknown sizes.
	ArtifactDirs []string
	// ArtifactsURL prefixes locations that are file names, not URLs
	// (default "artifacts/": Handler's /artifacts/ beside the site at /).
	ArtifactsURL string
	// StreamURL is where the stream metadata is published, for its link
	// (default "streams/": Handler's /streams/).
	StreamURL string
	// Title heads the page (default "ALTCOS downloads").
	Title string
	// DefaultArch and DefaultStream are selected when the page opens
	// (default altcos.DefaultArch and altcos.DefaultStream, when present).
	DefaultArch, DefaultStream string
}

// Summary says what Write wrote.
type Summary struct {
	Streams, Releases, Files int
}

// Write writes the site of o.StreamDir into the folder out (made if
// missing). Nothing in it depends on the clock: the same inputs give the
// same bytes.
func Write(o Options, out string) (*Summary, error) {
	d, err := Make(o)
	if err != nil {
		return nil, err
	}
	page, err := Render(d)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	for _, name := range Files {
		data := page
		if name != "index.html" {
			if data, err = assets.ReadFile("assets/" + name); err != nil {
				return nil, err
			}
		}
		if err := fsutil.WriteFileAtomic(filepath.Join(out, name), data, 0o644); err != nil {
			return nil, err
		}
	}
	sum := &Summary{Streams: len(d.Streams)}
	for _, s := range d.Streams {
		sum.Releases += len(s.Releases)
		for _, r := range s.Releases {
			for _, imgs := range r.Images {
				for _, img := range imgs {
					for _, v := range img.Variants {
						sum.Files += len(v.Files)
					}
				}
			}
		}
	}
	return sum, nil
}

// Make reads o.StreamDir into the page's data.
func Make(o Options) (*Data, error) {
	if o.StreamDir == "" {
		return nil, fmt.Errorf("the site needs a stream folder")
	}
	if o.ArtifactsURL == "" {
		o.ArtifactsURL = "artifacts/"
	}
	if o.StreamURL == "" {
		o.StreamURL = "streams/"
	}
	if o.Title == "" {
		o.Title = "ALTCOS downloads"
	}
	ins, err := load(o.StreamDir)
	if err != nil {
		return nil, err
	}
	d, err := model(ins, o)
	if err != nil {
		return nil, err
	}
	if d.DefaultArch == "" {
		d.DefaultArch = pick(d.Arches, altcos.DefaultArch)
	}
	if d.DefaultStream == "" {
		var names []string
		for _, s := range d.Streams {
			names = append(names, s.Name)
		}
		d.DefaultStream = pick(names, altcos.DefaultStream)
	}
	return d, nil
}

// pick is want when names has it, else the first name.
func pick(names []string, want string) string {
	for _, n := range names {
		if n == want {
			return n
		}
	}
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

var pageTemplate = template.Must(template.New("index.html").Funcs(template.FuncMap{
	"size": humanSize,
}).ParseFS(assets, "assets/index.html"))

// Render renders index.html of d.
func Render(d *Data) ([]byte, error) {
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, d); err != nil {
		return nil, fmt.Errorf("render the site: %w", err)
	}
	return b.Bytes(), nil
}

// humanSize is n bytes in binary units, as the script shows them.
func humanSize(n int64) string {
	if n < 0 {
		return "unknown"
	}
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	f, i := float64(n), 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%d B", n)
	}
	return strings.Replace(fmt.Sprintf("%.1f %s", f, units[i]), ".0 ", " ", 1)
}
