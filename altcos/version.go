package altcos

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Version is an ALTCOS version <stream>.<YYYYMMDD>.<major>.<minor>, e.g.
// sisyphus.20211006.1.0.
type Version struct {
	Stream string
	Date   string // YYYYMMDD
	Major  int
	Minor  int
}

func (v Version) String() string {
	return fmt.Sprintf("%s.%s.%d.%d", v.Stream, v.Date, v.Major, v.Minor)
}

var versionRe = regexp.MustCompile(`^([a-z0-9][a-z0-9_-]*)\.([0-9]{8})\.([0-9]+)\.([0-9]+)$`)

// ParseVersion parses <stream>.<YYYYMMDD>.<major>.<minor>.
func ParseVersion(s string) (Version, error) {
	m := versionRe.FindStringSubmatch(s)
	if m == nil {
		return Version{}, fmt.Errorf("version %q is not <stream>.<YYYYMMDD>.<major>.<minor>", s)
	}
	if _, err := time.Parse("20060102", m[2]); err != nil {
		return Version{}, fmt.Errorf("version %q: date %s is not a date", s, m[2])
	}
	major, err1 := strconv.Atoi(m[3])
	minor, err2 := strconv.Atoi(m[4])
	if err := errors.Join(err1, err2); err != nil {
		return Version{}, fmt.Errorf("version %q: %w", s, err)
	}
	return Version{Stream: m[1], Date: m[2], Major: major, Minor: minor}, nil
}
