// Package altcos is the identity of ALT Container OS that every tool shares:
// the ostree OS name, the remote and its refs, the version format and the
// keys of the commit metadata. It imports nothing of the project, so any
// package, library or CLI, may use it.
package altcos

import (
	"fmt"
	"regexp"
)

const (
	// OSName is the ostree OS name (stateroot) of ALTCOS.
	OSName = "alt-containeros"
	// RemoteName is the ostree remote an installed system updates from.
	RemoteName = "altcos"
	// DefaultArch is the architecture in refs when none is given.
	DefaultArch = "x86_64"
	// DefaultStream is the stream built and installed when none is given.
	DefaultStream = "sisyphus"
	// ExamplesDir is where the live system carries the example configs of
	// the repository's examples/ (Butane and Ignition).
	ExamplesDir = "/usr/share/altcos/examples"
	// PasswordExample is the example config that gives the user altcos the
	// password "1", named in the live system's install hint.
	PasswordExample = ExamplesDir + "/altcos-password.ign"
	// KeyringPath is the OS's binary OpenPGP keyring of the keys that sign
	// its commits and release artifacts: the remote altcos names it as
	// gpgkeypath, and the live system's installer verifies downloads with it.
	KeyringPath = "/usr/share/altcos/keys/altcos.gpg"
)

// Commit metadata keys written at compose time and read by the image build,
// the installer and the update agent (string values).
const (
	MetaVersion      = "version"              // <stream>.<YYYYMMDD>.<major>.<minor>
	MetaStream       = "altcos.stream"        // e.g. sisyphus
	MetaManifest     = "altcos.manifest"      // package set, JSON {"name":"version",...}
	MetaIgnitionSpec = "altcos.ignition-spec" // highest Ignition spec the OS reads, e.g. 3.3.0
	MetaKernel       = "altcos.kernel"        // the <kver> of /usr/lib/modules
	MetaOSFiles      = "altcos.osfiles"       // sha256 of the OS files laid over the tree
)

// Ref is the ref of a stream: altcos/<arch>/<stream>.
func Ref(arch, stream string) string { return "altcos/" + arch + "/" + stream }

// Refspec is the origin refspec of an installed system following a stream:
// altcos:altcos/<arch>/<stream>.
func Refspec(arch, stream string) string { return RemoteName + ":" + Ref(arch, stream) }

var (
	streamRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	archRe   = regexp.MustCompile(`^[a-z0-9][a-z0-9_]*$`)
)

// ValidateStream checks a stream name: it becomes one component of the ref
// altcos/<arch>/<stream> and the first field of every version, so it may not
// contain '/' or '.'.
func ValidateStream(s string) error {
	if !streamRe.MatchString(s) {
		return fmt.Errorf("stream name %q is not valid: use lower-case letters, digits, '-' and '_' (no '/' or '.'), e.g. sisyphus or p10", s)
	}
	return nil
}

// ValidateArch checks an architecture name as it appears in refs (x86_64,
// aarch64, ...).
func ValidateArch(a string) error {
	if !archRe.MatchString(a) {
		return fmt.Errorf("architecture %q is not valid: use lower-case letters, digits and '_', e.g. x86_64 or aarch64", a)
	}
	return nil
}
