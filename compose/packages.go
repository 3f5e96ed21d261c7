package compose

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/altcos/altcos-tools/internal/run"
)

// Packages is the package set of an OS tree: package name -> version.
// It is stored in the commit metadata (altcos.MetaManifest) as JSON with
// sorted keys, so the next compose can compare against it.
type Packages map[string]string

// Encode renders p as compact JSON with sorted keys (encoding/json sorts map
// keys), the form stored in the commit.
func (p Packages) Encode() string {
	if p == nil {
		p = Packages{}
	}
	b, _ := json.Marshal(map[string]string(p)) // a map of strings always marshals
	return string(b)
}

// DecodePackages parses what Encode wrote.
func DecodePackages(s string) (Packages, error) {
	var p Packages
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return nil, fmt.Errorf("package manifest: %w", err)
	}
	if p == nil {
		p = Packages{}
	}
	return p, nil
}

// Names returns the package names, sorted.
func (p Packages) Names() []string {
	names := make([]string, 0, len(p))
	for n := range p {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// packageDB is the seam for the package managers compose can read: one kind
// of package database, read with the host's tool (the database is a plain
// file set, no code of the tree runs). dpkg is the one today; an rpm reader
// (ALT's trees) is one more entry in packageDBs.
type packageDB struct {
	name string
	// dir is where a tree made by the package manager keeps the database;
	// it is under /var, which compose empties, so usrDir is where compose
	// moves it (the package set is part of the OS, not machine data).
	dir, usrDir string
	marker      string // a file in the database folder that says it is there
	// list builds the argv that prints the installed packages of the
	// database in the host folder dbDir; parse reads its output.
	list  func(dbDir string) []string
	parse func(out string) (Packages, error)
}

var packageDBs = []packageDB{
	{name: "dpkg", dir: "var/lib/dpkg", usrDir: "usr/lib/sysimage/dpkg", marker: "status",
		list: dpkgQueryArgs, parse: parseDpkgQuery},
}

// dpkgQueryArgs builds the argv that lists the installed packages of the
// database in admindir: one "<status>\t<name>\t<version>" line each.
func dpkgQueryArgs(admindir string) []string {
	return []string{"dpkg-query", "--admindir=" + admindir, "-W",
		"-f=${db:Status-Abbrev}\t${binary:Package}\t${Version}\n"}
}

// parseDpkgQuery turns dpkgQueryArgs output into Packages, keeping only
// installed packages (status "ii"); an ":amd64"-style architecture
// qualifier is kept as dpkg prints it for multi-arch duplicates only.
func parseDpkgQuery(out string) (Packages, error) {
	p := Packages{}
	for i, l := range strings.Split(out, "\n") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		f := strings.Split(l, "\t")
		if len(f) != 3 {
			return nil, fmt.Errorf("dpkg-query line %d: %q is not status, name, version", i+1, l)
		}
		if strings.TrimSpace(f[0]) != "ii" {
			continue
		}
		p[f[1]] = f[2]
	}
	return p, nil
}

// ReadPackages lists the packages installed in the OS tree at root with the
// tree's own package database, found where the package manager keeps it or
// where compose moved it.
func ReadPackages(ctx context.Context, log *slog.Logger, root string) (Packages, error) {
	for _, db := range packageDBs {
		for _, dir := range []string{db.dir, db.usrDir} {
			path := filepath.Join(root, dir)
			if _, err := os.Stat(filepath.Join(path, db.marker)); err != nil {
				continue
			}
			out, err := run.Output(ctx, log, run.Cmd{Argv: db.list(path)})
			if err != nil {
				return nil, fmt.Errorf("list packages of %s: %w", root, err)
			}
			p, err := db.parse(string(out))
			if err != nil {
				return nil, fmt.Errorf("list packages of %s: %w", root, err)
			}
			if len(p) == 0 {
				return nil, fmt.Errorf("OS tree %s has no installed packages in %s", root, dir)
			}
			return p, nil
		}
	}
	return nil, fmt.Errorf("OS tree %s has no package database (%s/%s); compose needs a tree made by a package manager (rpm trees are not supported yet)", root, packageDBs[0].dir, packageDBs[0].marker)
}

// readPackages reads the package set and the Ignition spec of the copy and
// computes the next version; with nothing changed the compose ends here.
func readPackages(ctx context.Context, s *state) error {
	p, err := ReadPackages(ctx, s.log, s.root)
	if err != nil {
		return err
	}
	s.packages, s.res.Packages = p, len(p)
	ignVer, ok := p["ignition"]
	if !ok {
		return fmt.Errorf("OS tree %s has no ignition package; install ignition", s.opts.Tree)
	}
	if s.res.IgnitionSpec, err = IgnitionSpec(ignVer); err != nil {
		return fmt.Errorf("OS tree %s: %w", s.opts.Tree, err)
	}
	filesChanged := s.opts.Force || s.osfilesSum != s.prevOSFiles
	v, change, err := NextVersion(s.opts.Stream, s.prev, s.prevPackages, p, filesChanged, s.opts.Time)
	if err != nil {
		return err
	}
	s.version, s.res.Version, s.res.Change = v, v.String(), change
	if change == Unchanged {
		s.res.Commit = s.res.Parent
		s.done = true
	}
	return nil
}
