package isobuild

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

// Manifest is the package set of an OS tree: package name -> version.
// It is stored in the commit metadata (MetaManifest) as JSON with sorted
// keys, so the next compose can compare against it.
type Manifest map[string]string

// Encode renders m as compact JSON with sorted keys (encoding/json sorts map
// keys), the form stored in the commit.
func (m Manifest) Encode() string {
	if m == nil {
		m = Manifest{}
	}
	b, _ := json.Marshal(map[string]string(m)) // a map of strings always marshals
	return string(b)
}

// DecodeManifest parses what Encode wrote.
func DecodeManifest(s string) (Manifest, error) {
	var m Manifest
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("package manifest: %w", err)
	}
	if m == nil {
		m = Manifest{}
	}
	return m, nil
}

// Names returns the package names, sorted.
func (m Manifest) Names() []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// DpkgAdminDir is where a Debian tree keeps its package database; compose
// moves it to DpkgDBDir (out of /var, which is emptied).
const (
	DpkgAdminDir = "var/lib/dpkg"
	DpkgDBDir    = "usr/lib/sysimage/dpkg"
)

// DpkgQueryArgs builds the argv that lists the installed packages of the
// database in admindir: one "<status>\t<name>\t<version>" line each.
func DpkgQueryArgs(admindir string) []string {
	return []string{"dpkg-query", "--admindir=" + admindir, "-W",
		"-f=${db:Status-Abbrev}\t${binary:Package}\t${Version}\n"}
}

// ParseDpkgQuery turns DpkgQueryArgs output into a Manifest, keeping only
// installed packages (status "ii"); an ":amd64"-style architecture
// qualifier is kept as dpkg prints it for multi-arch duplicates only.
func ParseDpkgQuery(out string) (Manifest, error) {
	m := Manifest{}
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
		m[f[1]] = f[2]
	}
	return m, nil
}

// ReadManifest lists the packages installed in the OS tree at root with the
// tree's own package database, read by the host's dpkg-query (the database
// is a plain file set, no code of the tree runs).
func ReadManifest(ctx context.Context, log *slog.Logger, root string) (Manifest, error) {
	for _, dir := range []string{DpkgAdminDir, DpkgDBDir} {
		admin := filepath.Join(root, dir)
		if _, err := os.Stat(filepath.Join(admin, "status")); err != nil {
			continue
		}
		out, err := run.Output(ctx, log, run.Cmd{Argv: DpkgQueryArgs(admin)})
		if err != nil {
			return nil, fmt.Errorf("list packages of %s: %w", root, err)
		}
		m, err := ParseDpkgQuery(string(out))
		if err != nil {
			return nil, fmt.Errorf("list packages of %s: %w", root, err)
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("OS tree %s has no installed packages in %s", root, dir)
		}
		return m, nil
	}
	return nil, fmt.Errorf("OS tree %s has no package database (%s/status); compose needs a tree made by a package manager (rpm trees are not supported yet)", root, DpkgAdminDir)
}
