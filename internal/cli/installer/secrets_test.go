package installercli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/installer/password"
)

// TestNoSecretsPrinted runs installs (dry runs and failing ones, plain,
// verbose and --json) with a root password hash, URL credentials and an
// Ignition config that carry markers, and checks that no marker reaches
// stdout, stderr or the log.
func TestNoSecretsPrinted(t *testing.T) {
	const (
		cfgMarker = "IGNITION-MARKER-5f3a9c"
		urlMarker = "URLPASS-MARKER-77e1"
	)
	e := newEnv(t)
	hash, err := password.Hash("root-pw-MARKER")
	if err != nil {
		t.Fatal(err)
	}
	hashMarker := hash[len(hash)-20:] // the hash's own digits
	cfg := `{"ignition":{"version":"3.3.0"},"passwd":{"users":[{"name":"altcos","passwordHash":"` + cfgMarker + `"}]},"storage":{"files":[{"path":"/etc/motd","contents":{"source":"data:,` + cfgMarker + `"}}]}}`
	good := e.file(t, "marked.ign", cfg)
	bad := e.file(t, "marked-bad.ign", `{"ignition":{"version":"3.3.0"},"passwd":{"users":[{"name":"`+cfgMarker+`","passwordHash":3}]},"storage":{"files":[{"path":"rel/`+cfgMarker+`"}]}}`)
	badYAML := e.file(t, "marked.bu", "variant: fcos\nversion: 1.4.0\npasswd:\n  users:\n    - name: altcos\n      password_hash: [\""+cfgMarker+"\"\n")
	srv := serveOne(t, "/marked.ign", cfg)
	credURL := strings.Replace(srv.URL, "http://", "http://user:"+urlMarker+"@", 1)
	cmdline := e.file(t, "cmdline-secret", "altcos.inst.root_password_hash="+hash+" altcos.inst.ignition_url="+credURL+"/marked.ign?token="+urlMarker+" altcos.inst.insecure_ignition\n")

	for _, tc := range []struct {
		name string
		args []string
		ok   bool
	}{
		{"dry run", append(e.base(), "--dry-run", "--verbose", "-i", good, "--root-password-hash", hash, e.image), true},
		{"dry run json", append(e.base(), "--dry-run", "--json", "--verbose", "-i", good, "--root-password-hash", hash, e.image), true},
		{"dry run from kernel arguments", []string{"install", "--cmdline-file", cmdline, "--config-dir", e.dir + "/none", "-f", e.archive, "--dry-run", "--verbose", e.image}, true},
		{"invalid config", append(e.base(), "--yes", "--verbose", "-i", bad, "--root-password-hash", hash, e.image), false},
		{"invalid config json", append(e.base(), "--yes", "--json", "-i", bad, e.image), false},
		{"invalid butane", append(e.base(), "--yes", "-i", badYAML, e.image), false},
		{"URL with credentials, 404", append(e.base(), "--yes", "--verbose", "--insecure-ignition", "-I", credURL+"/none?token="+urlMarker, e.image), false},
		{"URL with credentials, wrong hash", append(e.base(), "--yes", "--json", "-I", credURL+"/marked.ign?token="+urlMarker, "--ignition-hash", sha("x"), e.image), false},
		{"bad password hash flag", append(e.base(), "--yes", "--root-password-hash", "$x$"+hashMarker, e.image), false},
		{"validate invalid", []string{"validate", bad}, false},
		{"validate invalid json", []string{"validate", "--json", bad}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, "", tc.args...)
			t.Logf("exit %d: %s", r.code, strings.TrimSpace(r.errout))
			if (r.code == 0) != tc.ok {
				t.Fatalf("exit %d, want success %v; stderr %q", r.code, tc.ok, r.errout)
			}
			for _, m := range []string{cfgMarker, urlMarker, hashMarker, "root-pw-MARKER"} {
				if strings.Contains(r.out, m) || strings.Contains(r.errout, m) {
					t.Errorf("%s printed secret %q:\nstdout:\n%s\nstderr:\n%s", tc.name, m, r.out, r.errout)
				}
			}
			if strings.Contains(tc.name, "json") && strings.HasPrefix(tc.args[0], "install") {
				for _, l := range strings.Split(strings.TrimSpace(r.out), "\n") {
					var ev map[string]any
					if err := json.Unmarshal([]byte(l), &ev); err != nil && !strings.HasPrefix(l, "Install plan") && !strings.HasPrefix(l, "  ") && !strings.HasPrefix(l, "dry run") {
						t.Errorf("--json line %q is not JSON: %v", l, err)
					}
				}
			}
		})
	}
}
