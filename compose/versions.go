package compose

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/altcos/altcos-tools/altcos"
)

// Change is how a package set differs from the previous commit's.
type Change int

const (
	// Unchanged: same packages, same versions.
	Unchanged Change = iota
	// VersionsChanged: same package names, some versions differ.
	VersionsChanged
	// SetChanged: a package was added or removed.
	SetChanged
	// FilesChanged: same packages, but the OS files the project lays over
	// the tree (osfiles/) changed, or a new commit was forced. ALT ships
	// these files in packages of its own, so this counts as a package
	// version change: minor+1.
	FilesChanged
)

func (c Change) String() string {
	switch c {
	case Unchanged:
		return "nothing changed"
	case VersionsChanged:
		return "package versions changed"
	case SetChanged:
		return "package set changed"
	case FilesChanged:
		return "OS files changed"
	}
	return "Change(" + strconv.Itoa(int(c)) + ")"
}

// Compare classifies the change from old to cur.
func Compare(old, cur Packages) Change {
	if len(old) != len(cur) {
		return SetChanged
	}
	c := Unchanged
	for name, v := range cur {
		ov, ok := old[name]
		if !ok {
			return SetChanged
		}
		if ov != v {
			c = VersionsChanged
		}
	}
	return c
}

// NextVersion computes the version of a new commit on stream from the
// previous commit's version and package set (prev nil: the first commit) and
// the date of the build (UTC):
//
//   - first commit: <stream>.<date>.0.0
//   - package set changed: <stream>.<date>.<major+1>.0
//   - only package versions changed, or only the OS files (filesChanged):
//     <stream>.<prev date>.<major>.<minor+1>
//   - nothing changed: change Unchanged, the previous version, no new commit.
//
// A build date before the previous version's date is an error: versions must
// grow, and a clock or SOURCE_DATE_EPOCH going backwards is a mistake.
func NextVersion(stream string, prev *altcos.Version, prevPackages, cur Packages, filesChanged bool, date time.Time) (v altcos.Version, change Change, err error) {
	if err := altcos.ValidateStream(stream); err != nil {
		return altcos.Version{}, 0, err
	}
	day := date.UTC().Format("20060102")
	if prev == nil {
		return altcos.Version{Stream: stream, Date: day}, SetChanged, nil
	}
	if prev.Stream != stream {
		return altcos.Version{}, 0, fmt.Errorf("previous version %s is not on stream %s", prev, stream)
	}
	if day < prev.Date {
		return altcos.Version{}, 0, fmt.Errorf("build date %s is before the date of the previous version %s; check the clock or SOURCE_DATE_EPOCH", day, prev)
	}
	change = Compare(prevPackages, cur)
	if change == Unchanged && filesChanged {
		change = FilesChanged
	}
	switch change {
	case SetChanged:
		return altcos.Version{Stream: stream, Date: day, Major: prev.Major + 1}, change, nil
	case VersionsChanged, FilesChanged:
		return altcos.Version{Stream: stream, Date: prev.Date, Major: prev.Major, Minor: prev.Minor + 1}, change, nil
	}
	return *prev, Unchanged, nil
}

// ignitionSpecs maps the first Ignition release that marked a config spec
// stable to that spec (from Ignition's release notes). An OS's Ignition reads
// every spec up to the highest stable one of its release.
var ignitionSpecs = []struct {
	major, minor int
	spec         string
}{
	{2, 26, "3.6.0"},
	{2, 20, "3.5.0"},
	{2, 15, "3.4.0"},
	{2, 11, "3.3.0"},
	{2, 7, "3.2.0"},
	{2, 3, "3.1.0"},
	{2, 0, "3.0.0"},
}

var majorMinorRe = regexp.MustCompile(`^([0-9]+)\.([0-9]+)`)

// IgnitionSpec returns the highest Ignition config spec that the Ignition of
// package version pkgVersion reads (e.g. Debian's "2.14.0+ds1-1+b6" -> "3.3.0",
// ALT's "2.19.0-alt1" -> "3.4.0"). An epoch ("1:") is ignored.
func IgnitionSpec(pkgVersion string) (string, error) {
	v := pkgVersion
	if i := strings.IndexByte(v, ':'); i >= 0 {
		v = v[i+1:]
	}
	m := majorMinorRe.FindStringSubmatch(v)
	if m == nil {
		return "", fmt.Errorf("ignition package version %q does not start with <major>.<minor>", pkgVersion)
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	for _, s := range ignitionSpecs {
		if major > s.major || major == s.major && minor >= s.minor {
			return s.spec, nil
		}
	}
	return "", fmt.Errorf("ignition %s is older than 2.0 and reads no spec 3 config; the OS needs Ignition 2.x", pkgVersion)
}
