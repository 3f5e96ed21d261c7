package compose

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
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
// file set, no code of the tree runs). ReadPackages tries packageDBs in
// order: rpm (ALT's trees; rpmdb.go), then dpkg (the Debian test OS).
type packageDB struct {
	name string
	// dir is where a tree made by the package manager keeps the database;
	// it is under /var, which compose empties, so usrDir is where compose
	// moves it (the package set is part of the OS, not machine data).
	dir, usrDir string
	// markers are files in the database folder that say it is there, one
	// per format the tool writes; the first found is given to list.
	markers []string
	// readCopy: the tool writes next to the database even to read it (rpm's
	// sqlite: -shm and -wal files), so it reads a copy and neither the given
	// tree nor the commit gets those files.
	readCopy bool
	// list builds the argv that prints the installed packages of the
	// database in the host folder dbDir, held in marker; parse reads its
	// output.
	list  func(dbDir, marker string) ([]string, error)
	parse func(out string) (Packages, error)
}

var packageDBs = []packageDB{
	{name: "rpm", dir: "var/lib/rpm", usrDir: "usr/lib/sysimage/rpm", markers: rpmMarkers(), readCopy: true,
		list: rpmQueryArgs, parse: parseRpmQuery},
	{name: "dpkg", dir: "var/lib/dpkg", usrDir: "usr/lib/sysimage/dpkg", markers: []string{"status"},
		list: func(dbDir, _ string) ([]string, error) { return dpkgQueryArgs(dbDir), nil }, parse: parseDpkgQuery},
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
// where compose moved it: rpm's when the tree has one, else dpkg's. A
// database that lists no packages is passed over for the next one.
func ReadPackages(ctx context.Context, log *slog.Logger, root string) (Packages, error) {
	var empty, want []string
	for _, db := range packageDBs {
		for _, dir := range []string{db.dir, db.usrDir} {
			path := filepath.Join(root, dir)
			marker := ""
			for _, m := range db.markers {
				if exists(filepath.Join(path, m)) {
					marker = m
					break
				}
			}
			if marker == "" {
				continue
			}
			p, err := readDB(ctx, log, db, path, marker)
			if err != nil {
				return nil, fmt.Errorf("list packages of %s (%s database %s): %w", root, db.name, filepath.Join("/", dir, marker), err)
			}
			if len(p) == 0 {
				empty = append(empty, filepath.Join("/", dir, marker))
				continue
			}
			return p, nil
		}
		want = append(want, filepath.Join("/", db.dir, strings.Join(db.markers, " or ")))
	}
	if len(empty) > 0 {
		return nil, fmt.Errorf("OS tree %s has no installed packages in %s", root, strings.Join(empty, ", "))
	}
	return nil, fmt.Errorf("OS tree %s has no package database (%s); compose needs a tree made by rpm (ALT) or dpkg (the Debian test OS)", root, strings.Join(want, "; "))
}

// readDB runs db's tool on the database in path (held in marker), or on a
// copy of it (db.readCopy).
func readDB(ctx context.Context, log *slog.Logger, db packageDB, path, marker string) (Packages, error) {
	if db.readCopy {
		tmp, err := os.MkdirTemp("", "altcos-"+db.name+"db-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		if err := copyFiles(path, tmp); err != nil {
			return nil, fmt.Errorf("copy the database to read it: %w", err)
		}
		path = tmp
	}
	argv, err := db.list(path, marker)
	if err != nil {
		return nil, err
	}
	out, err := run.Output(ctx, log, run.Cmd{Argv: argv})
	if err != nil {
		return nil, err
	}
	return db.parse(string(out))
}

// copyFiles copies the regular files directly in src (a package database
// folder) into dst.
func copyFiles(src, dst string) error {
	ents, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		in, err := os.Open(filepath.Join(src, e.Name()))
		if err != nil {
			return err
		}
		out, err := os.OpenFile(filepath.Join(dst, e.Name()), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err == nil {
			_, err = io.Copy(out, in)
			if cerr := out.Close(); err == nil {
				err = cerr
			}
		}
		in.Close()
		if err != nil {
			return err
		}
	}
	return nil
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
