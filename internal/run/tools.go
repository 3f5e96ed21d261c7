package run

import (
	"os"
	"os/exec"
	"strings"
)

// Path resolves a tool name to the program to run. A name can be overridden
// with the environment variable ALTCOS_TOOL_<NAME> (upper case, '-' and '.'
// as '_'), e.g. ALTCOS_TOOL_MKFS_EXT4=/opt/e2fsprogs/sbin/mkfs.ext4. Names that
// contain a slash are used as they are.
func Path(name string) string {
	if strings.Contains(name, "/") {
		return name
	}
	if p := os.Getenv(EnvName(name)); p != "" {
		return p
	}
	return name
}

// EnvName is the override variable for a tool name.
func EnvName(name string) string {
	r := strings.NewReplacer("-", "_", ".", "_")
	return "ALTCOS_TOOL_" + strings.ToUpper(r.Replace(name))
}

// Have reports whether a tool can be found.
func Have(name string) bool {
	p := Path(name)
	if strings.Contains(p, "/") {
		_, err := os.Stat(p)
		return err == nil
	}
	_, err := exec.LookPath(p)
	if err == nil {
		return true
	}
	// sbin is not always on a non-root PATH.
	for _, dir := range []string{"/usr/sbin", "/sbin"} {
		if _, err := os.Stat(dir + "/" + p); err == nil {
			return true
		}
	}
	return false
}
