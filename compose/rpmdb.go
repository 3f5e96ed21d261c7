package compose

import (
	"fmt"
	"sort"
	"strings"
)

// rpmFormats are the files an rpm database is kept in, each with the
// _db_backend of the host's rpm that reads it. The host's rpm (Debian's
// 4.18) writes sqlite and reads BerkeleyDB only through bdb_ro, its own
// read-only reader (rpm >= 4.16, no libdb), which is all compose needs.
var rpmFormats = []struct {
	file, backend string
}{
	{"rpmdb.sqlite", "sqlite"}, // rpm >= 4.16's default: Fedora, Debian's rpm
	{"Packages", "bdb_ro"},     // BerkeleyDB: ALT (its rpm 4.13), rpm < 4.16
	{"Packages.db", "ndb"},     // rpm's own format (SUSE); Debian's rpm lacks it
}

func rpmMarkers() []string {
	m := make([]string, len(rpmFormats))
	for i, f := range rpmFormats {
		m[i] = f.file
	}
	return m
}

// rpmQueryFormat prints one "<name>\t<epoch>:<version>-<release>" line per
// installed package; the epoch is 0 when the package has none.
const rpmQueryFormat = `%{NAME}\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\n`

// rpmQueryArgs builds the argv that lists the installed packages of the rpm
// database in dbDir, held in file (one of rpmFormats), with the backend that
// reads it. (rpm would find it too, among the backends it was built with,
// but with a warning and only after trying its configured default.)
func rpmQueryArgs(dbDir, file string) ([]string, error) {
	for _, f := range rpmFormats {
		if f.file != file {
			continue
		}
		if f.backend == "ndb" {
			return nil, fmt.Errorf("the rpm database is ndb (%s), which the host's rpm (Debian's) cannot read; convert it in the tree with rpmdb --rebuilddb --define '_db_backend sqlite'", file)
		}
		return []string{"rpm", "--dbpath", dbDir, "--define", "_db_backend " + f.backend,
			"-qa", "--queryformat", rpmQueryFormat}, nil
	}
	return nil, fmt.Errorf("%s is not an rpm database file (%s)", file, strings.Join(rpmMarkers(), ", "))
}

// parseRpmQuery turns rpmQueryArgs output into Packages. A name installed
// in several versions (kernels, gpg-pubkey) gets them all, sorted and
// separated by spaces, so any change among them is seen.
func parseRpmQuery(out string) (Packages, error) {
	p := Packages{}
	for i, l := range strings.Split(out, "\n") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		name, ver, ok := strings.Cut(l, "\t")
		if !ok || name == "" || ver == "" || strings.ContainsAny(ver, "\t ") || !strings.Contains(ver, ":") {
			return nil, fmt.Errorf("rpm query line %d: %q is not name, epoch:version-release", i+1, l)
		}
		if old, ok := p[name]; ok {
			vs := append(strings.Fields(old), ver)
			sort.Strings(vs)
			ver = strings.Join(vs, " ")
		}
		p[name] = ver
	}
	return p, nil
}
