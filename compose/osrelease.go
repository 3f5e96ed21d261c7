package compose

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/altcos/altcos-tools/altcos"
)

// osRelease renders /usr/lib/os-release for version v; base is the tree's
// original os-release, whose ID becomes ID_LIKE.
func osRelease(v altcos.Version, base map[string]string) string {
	like := strings.TrimSpace(base["ID"] + " " + base["ID_LIKE"])
	lines := []string{
		`NAME="ALT Container OS"`,
		`ID=altcos`,
	}
	if like != "" {
		lines = append(lines, fmt.Sprintf("ID_LIKE=%q", like))
	}
	lines = append(lines,
		fmt.Sprintf("VERSION=%q", v.String()),
		"VERSION_ID="+v.String(),
		"OSTREE_VERSION="+v.String(),
		`VARIANT="Container OS"`,
		`VARIANT_ID=altcos`,
		fmt.Sprintf("PRETTY_NAME=%q", "ALT Container OS "+v.String()),
		"ALTCOS_STREAM="+v.Stream,
		`HOME_URL="https://www.altlinux.org/ALTCOS"`,
	)
	return strings.Join(lines, "\n") + "\n"
}

// parseOSRelease reads KEY=value lines of an os-release file (quotes removed).
func parseOSRelease(s string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		k, v, ok := strings.Cut(l, "=")
		if !ok || strings.HasPrefix(l, "#") {
			continue
		}
		m[k] = strings.Trim(v, `"'`)
	}
	return m
}

// writeOSRelease writes /usr/lib/os-release of the new version over the
// tree's, and /etc/os-release as the usual symlink to it.
func writeOSRelease(_ context.Context, s *state) error {
	root := s.root
	lib := filepath.Join(root, "usr/lib/os-release")
	base := map[string]string{}
	for _, p := range []string{lib, filepath.Join(root, "etc/os-release")} {
		if b, err := os.ReadFile(p); err == nil {
			base = parseOSRelease(string(b))
			break
		}
	}
	_ = os.Remove(lib)
	if err := os.WriteFile(lib, []byte(osRelease(s.version, base)), 0o644); err != nil {
		return err
	}
	etc := filepath.Join(root, "etc/os-release")
	_ = os.Remove(etc)
	return os.Symlink("../usr/lib/os-release", etc)
}
