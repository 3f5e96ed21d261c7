package examples

import (
	"bytes"
	"compress/gzip"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/installer/ignition"
	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
	v36types "github.com/coreos/ignition/v2/config/v3_6/types"
	"github.com/vincent-petithory/dataurl"
)

var update = flag.Bool("update", false, "rewrite the .ign files from the .bu files")

// TestExamplesTranslate translates every example Butane config for the
// OS's Ignition spec and compares the result with the checked-in .ign.
func TestExamplesTranslate(t *testing.T) {
	bus, err := filepath.Glob("*.bu")
	if err != nil || len(bus) < 2 {
		t.Fatalf("example Butane configs: %v %v, want at least altcos-password.bu and testContainers.bu", bus, err)
	}
	for _, bu := range bus {
		t.Run(bu, func(t *testing.T) {
			want, err := translate(bu)
			if err != nil {
				t.Fatal(err)
			}
			ign := strings.TrimSuffix(bu, ".bu") + ".ign"
			if *update {
				if err := os.WriteFile(ign, want, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := os.ReadFile(ign)
			if err != nil {
				t.Fatalf("%v (run make examples)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s is stale: it is not the translation of %s; run make examples", ign, bu)
			}
			// The checked-in JSON is itself a valid config for the OS.
			if _, err := ignition.Validate(got, ""); err != nil {
				t.Errorf("%s: %v", ign, err)
			}
		})
	}
}

// TestPasswordExample checks the password example sets the documented
// password "1" for altcos, with a yescrypt hash.
func TestPasswordExample(t *testing.T) {
	cfg := readConfig(t, "altcos-password.ign")
	users := cfg.Passwd.Users
	if len(users) != 1 || users[0].Name != "altcos" || users[0].PasswordHash == nil || !strings.HasPrefix(*users[0].PasswordHash, "$y$") {
		t.Fatalf("users = %+v, want altcos with a yescrypt hash", users)
	}
	verifyYescrypt(t, "1", *users[0].PasswordHash)
}

// TestContainersExample checks the tree the seed documents: every script
// executable, the compose file and the podman example present.
func TestContainersExample(t *testing.T) {
	cfg := readConfig(t, "testContainers.ign")
	modes := map[string]int{}
	for _, f := range cfg.Storage.Files {
		if f.Mode != nil {
			modes[f.Path] = *f.Mode
		}
	}
	const base = "/opt/altcos/examples/"
	for p, want := range map[string]int{
		"docker/docker/hello.sh":                   0o755,
		"docker/docker-compose/docker-compose.yml": 0o644,
		"docker/docker-compose/start.sh":           0o755,
		"docker/docker-compose/stop.sh":            0o755,
		"podman/tetris.sh":                         0o755,
	} {
		got, ok := modes[base+p]
		if !ok {
			t.Errorf("%s%s missing from testContainers", base, p)
		} else if got != want {
			t.Errorf("%s%s mode = %o, want %o", base, p, got, want)
		}
	}
}

// TestComposeFileValid has docker-compose 1.29 (Debian's, the version the
// seed names) parse the example stack: `docker-compose config -q` needs no
// daemon.
func TestComposeFileValid(t *testing.T) {
	tooltest.Tools(t, "docker-compose")
	cfg := readConfig(t, "testContainers.ign")
	for _, f := range cfg.Storage.Files {
		if !strings.HasSuffix(f.Path, "/docker-compose.yml") {
			continue
		}
		if f.Contents.Source == nil {
			t.Fatalf("%s: no contents", f.Path)
		}
		u, err := dataurl.DecodeString(*f.Contents.Source)
		if err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		data := u.Data
		if f.Contents.Compression != nil && *f.Contents.Compression == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("%s: %v", f.Path, err)
			}
			if data, err = io.ReadAll(zr); err != nil {
				t.Fatalf("%s: %v", f.Path, err)
			}
		}
		dir := t.TempDir()
		p := filepath.Join(dir, "docker-compose.yml")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(run.Path("docker-compose"), "-f", p, "config", "-q")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("docker-compose config of %s: %v\n%s", f.Path, err, out)
		}
		return
	}
	t.Fatal("testContainers has no docker-compose.yml")
}

// readConfig parses the example Ignition config name.
func readConfig(t *testing.T, name string) v36types.Config {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ignition.Parse(b)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return cfg
}
