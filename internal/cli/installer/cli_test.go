package installercli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/deployarchive"
	"github.com/altcos/altcos-tools/internal/stdio"
)

const fakePC = "../../../installer/disks/testdata/pc"

// env is a hermetic place to run the CLI: a fake deploy archive with its
// manifest, an empty kernel command line, no drop-in folder, a 10 GiB sparse
// image file as the target.
type env struct {
	dir, archive, image, cmdline string
	imageSum                     string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	e := &env{dir: dir, archive: filepath.Join(dir, "medium", deployarchive.ArchiveName), image: filepath.Join(dir, "target.img"), cmdline: filepath.Join(dir, "cmdline")}
	os.MkdirAll(filepath.Dir(e.archive), 0o755)
	data := bytes.Repeat([]byte("not really zstd "), 64)
	os.WriteFile(e.archive, data, 0o644)
	sum := sha256.Sum256(data)
	m := &deployarchive.Manifest{Format: deployarchive.Format, OSName: "alt-containeros", Arch: deployarchive.HostArch(), Stream: "sisyphus",
		Ref: "altcos/x86_64/sisyphus", Version: "sisyphus.20261125.0.0", Commit: strings.Repeat("ab", 32), IgnitionSpec: "3.3.0",
		Archive:   deployarchive.FileInfo{Name: deployarchive.ArchiveName, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])},
		RootBytes: 1 << 20, BootBytes: 1 << 20}
	os.WriteFile(filepath.Join(filepath.Dir(e.archive), deployarchive.ManifestName), m.Marshal(), 0o644)
	os.WriteFile(e.cmdline, []byte("BOOT_IMAGE=/vmlinuz quiet\n"), 0o644)
	// A non-empty image so that a wipe would be visible.
	f, _ := os.Create(e.image)
	f.Truncate(10 << 30)
	f.WriteAt([]byte("OLD CONTENTS"), 0)
	f.Close()
	e.imageSum = e.sum(t)
	return e
}

// sum fingerprints the image's first MiB and size: "nothing written" means it stays the same.
func (e *env) sum(t *testing.T) string {
	t.Helper()
	f, err := os.Open(e.image)
	if err != nil {
		return "missing"
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	n, _ := f.ReadAt(buf, 0)
	fi, _ := f.Stat()
	s := sha256.Sum256(buf[:n])
	return fmt.Sprintf("%x/%d", s[:8], fi.Size())
}

// base are the flags that keep an install hermetic.
func (e *env) base() []string {
	return []string{"install", "--cmdline-file", e.cmdline, "--config-dir", filepath.Join(e.dir, "installer.d"), "-f", e.archive}
}

func (e *env) file(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(e.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

type result struct {
	code        int
	out, errout string
}

func runCLI(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	err := Run(context.Background(), args, stdio.Stdio{In: strings.NewReader(stdin), Out: &out, Err: &errb})
	code := stdio.Report(&errb, "altcos-installer", err) // as stdio.Main leaves it
	return result{code, out.String(), errb.String()}
}

const ign33 = `{"ignition":{"version":"3.3.0"},"passwd":{"users":[{"name":"altcos"}]}}`

func sha(s string) string {
	x := sha256.Sum256([]byte(s))
	return "sha256-" + hex.EncodeToString(x[:])
}

// serveOne serves body at path, and 404 anywhere else, until the test ends.
func serveOne(t *testing.T, path, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestBadInput is the list of bad inputs: each gets a one-line cause
// naming the input and what to do, an exit code of its class, and nothing
// is written to the target.
func TestBadInput(t *testing.T) {
	e := newEnv(t)
	srv := serveOne(t, "/c.ign", ign33)
	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, ign33) }))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0)
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + l.Addr().String() + "/c.ign"
	l.Close()

	good := e.file(t, "good.ign", ign33)
	notJSON := e.file(t, "garbage.ign", "\x00\x01 this is { not json")
	schema := e.file(t, "schema.ign", `{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"etc/motd"}]}}`)
	v22 := e.file(t, "v22.ign", `{"ignition":{"version":"2.2.0"}}`)
	v34 := e.file(t, "v34.ign", `{"ignition":{"version":"3.4.0"}}`)
	butane15 := e.file(t, "new.bu", "variant: fcos\nversion: 1.5.0\nstorage:\n  luks:\n    - name: x\n      device: /dev/vdb\n      discard: true\n")
	badKargs := e.file(t, "badcmdline", `quiet altcos.inst.install_dev="/dev/vda`+"\n")
	unknownKarg := e.file(t, "unknowncmdline", "altcos.inst.install_device=/dev/vda\n")
	badYAML := e.file(t, "bad.yaml", "dest-devcie: /dev/vda\n")

	fake := []string{"--sysroot", fakePC, "--yes"}
	img := func(extra ...string) []string { return append(append(e.base(), extra...), e.image) }
	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
		code  int
		want  string
	}{
		{"missing device unattended", append(e.base(), "--yes"), "", exitUsage, "no target disk; give DEVICE"},
		{"missing device, nothing on stdin", append(e.base(), "--sysroot", fakePC), "", exitUsage, "no answer: the input ended"},
		{"unknown device", append(append(e.base(), fake...), "/dev/sdz"), "", exitUsage, "/dev/sdz: no such disk; see the disks with altcos-installer list-disks"},
		{"partition", append(append(e.base(), fake...), "/dev/vda1"), "", exitUsage, "/dev/vda1: a partition, not a disk; give the whole disk /dev/vda"},
		{"mounted and swap", append(append(e.base(), fake...), "/dev/sda"), "", exitUsage, "sda1 is mounted at /, /var/lib/bind mount; unmount it or choose another disk; sda2 is in use as swap"},
		{"dm held", append(append(e.base(), fake...), "/dev/sdc"), "", exitUsage, "held by LVM volume vg0-data; stop it"},
		{"md member", append(append(e.base(), fake...), "/dev/sdd"), "", exitUsage, "held by RAID array md0"},
		{"read-only", append(append(e.base(), fake...), "/dev/vdc"), "", exitUsage, "read-only; check the disk's write-protect switch"},
		{"too small", append(append(e.base(), fake...), "/dev/vdb"), "", exitUsage, "4G is smaller than the 8G minimum; choose a larger disk"},
		{"live medium", append(append(e.base(), fake...), "/dev/sdf"), "", exitUsage, "the medium the live system booted from; choose another disk"},
		{"malformed kernel argument", []string{"install", "--cmdline-file", badKargs, "--config-dir", filepath.Join(e.dir, "none"), e.image}, "", exitUsage, badKargs + `: kernel argument "altcos.inst.install_dev=\"/dev/vda" at offset 6: unterminated double quote`},
		{"unknown kernel argument", []string{"install", "--cmdline-file", unknownKarg, "--config-dir", filepath.Join(e.dir, "none"), e.image}, "", exitUsage, "unknown kernel argument altcos.inst.install_device"},
		{"unknown flag", append(e.base(), "--wipe-everything", e.image), "", exitUsage, "flag provided but not defined: -wipe-everything"},
		{"unknown config key", img("--config", badYAML), "", exitUsage, "config " + badYAML + ": line 1: field dest-devcie not found"},
		{"ignition not JSON or YAML", img("--yes", "-i", notJSON), "", exitUsage, notJSON + ": neither JSON (Ignition) nor YAML (Butane)"},
		{"schema errors", img("--yes", "-i", schema), "", exitUsage, "$.storage.files.0.path (line 1 col 61): path not absolute"},
		{"unsupported spec", img("--yes", "-i", v22), "", exitUsage, "unsupported config version"},
		{"spec newer than the OS reads", img("--yes", "-i", v34), "", exitUsage, `Ignition spec 3.4.0 is newer than the 3.3.0 the target OS reads; write "version": "3.3.0"`},
		{"butane newer than the OS reads", img("--yes", "-i", butane15), "", exitUsage, "rewrite it for version 1.4.0"},
		{"wrong hash", img("--yes", "-i", good, "--ignition-hash", sha("other")), "", exitFetch, "hash mismatch"},
		{"bad hash syntax", img("--yes", "-i", good, "--ignition-hash", "md5-1234"), "", exitUsage, "use sha256-<hex> or sha512-<hex>"},
		{"http without hash", img("--yes", "-I", srv.URL+"/c.ign"), "", exitUsage, "plain http without --ignition-hash"},
		{"unreachable URL", img("--yes", "-I", dead, "--insecure-ignition"), "", exitFetch, "connection refused"},
		{"404", img("--yes", "-I", srv.URL+"/none.ign", "--insecure-ignition"), "", exitFetch, "404 Not Found; check the URL's path"},
		{"TLS error", img("--yes", "-I", tlsSrv.URL+"/c.ign"), "", exitFetch, "certificate signed by unknown authority; give the server's CA with --ca-bundle"},
		{"n at the wipe prompt", img("-i", good), "n\n", exitUsage, "confirm: aborted at the confirmation prompt; nothing was written"},
		{"anything but y at the wipe prompt", img("-i", good), "sure\n", exitUsage, "aborted"},
		{"mismatched passwords", append(e.base(), "--sysroot", fakePC), "1\n\nfirst\nsecond\n", exitUsage, "the two passwords differ"},
		{"bad root password hash", img("--yes", "--root-password-hash", "plaintext"), "", exitUsage, "not a crypt(3) hash"},
		{"too many arguments", append(e.base(), e.image, good, "extra"), "", exitUsage, "too many arguments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, tc.stdin, tc.args...)
			if r.code != tc.code {
				t.Errorf("altcos-installer %q exit = %d, want %d; stderr %q", tc.args, r.code, tc.code, r.errout)
			}
			lines := strings.Split(strings.TrimSpace(r.errout), "\n")
			last := lines[len(lines)-1]
			if !strings.Contains(last, tc.want) {
				t.Errorf("altcos-installer %q stderr last line = %q, want containing %q", tc.args, last, tc.want)
			}
			if got := e.sum(t); got != e.imageSum {
				t.Errorf("altcos-installer %q changed the target image (%s, was %s)", tc.args, got, e.imageSum)
			}
		})
	}
}

func TestSeedFormAndHelp(t *testing.T) {
	r := runCLI(t, "", "--help")
	for _, want := range []string{"altcos-installer DEVICE IGNITION", "list-disks", "hash-password", "2   bad input", "3   fetch failure", "4   disk failure", "5   a pre- or post-install hook failed", "70  internal error"} {
		if r.code != 0 || !strings.Contains(r.out, want) {
			t.Errorf("--help = %d, output lacks %q", r.code, want)
		}
	}
	r = runCLI(t, "", "frobnicate")
	if r.code != exitUsage || !strings.Contains(r.errout, `unknown command "frobnicate"`) {
		t.Errorf("frobnicate = %d %q", r.code, r.errout)
	}
	// The seed's form reaches install: its device check names the device.
	e := newEnv(t)
	r = runCLI(t, "", "/dev/sdz", "config.ign", "--sysroot", fakePC, "--cmdline-file", e.cmdline, "--config-dir", e.dir, "-f", e.archive)
	if r.code != exitUsage || !strings.Contains(r.errout, "/dev/sdz: no such disk") {
		t.Errorf("seed form = %d %q, want the device check", r.code, r.errout)
	}
}
