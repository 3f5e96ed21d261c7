package ignition

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

const ign33 = `{"ignition":{"version":"3.3.0"},"passwd":{"users":[{"name":"altcos","sshAuthorizedKeys":["ssh-ed25519 AAAA"]}]}}`

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		max     string
		spec    string // want this spec on success
		butane  string
		wantErr string // substring of the error; "" means success
	}{
		{"ignition 3.3 ok", ign33, "3.3.0", "3.3.0", "", ""},
		{"ignition 3.0 ok", `{"ignition":{"version":"3.0.0"}}`, "", "3.0.0", "", ""},
		{"ignition 3.4 above OS", `{"ignition":{"version":"3.4.0"}}`, "3.3.0", "", "", `spec 3.4.0 is newer than the 3.3.0 the target OS reads; write "version": "3.3.0"`},
		{"ignition 3.4 ok for newer OS", `{"ignition":{"version":"3.4.0"}}`, "3.4.0", "3.4.0", "", ""},
		{"experimental spec", `{"ignition":{"version":"3.7.0-experimental"}}`, "3.6.0", "", "", "newer than the 3.6.0"},
		{"spec 2.x", `{"ignition":{"version":"2.2.0"}}`, "", "", "", "unsupported config version"},
		{"schema error has path", `{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"relative/x"}]}}`, "", "", "", "$.storage.files.0.path"},
		{"unknown key is a warning, type error is fatal", `{"ignition":{"version":"3.3.0"},"passwd":{"users":"x"}}`, "", "", "", "error"},
		{"not json nor yaml", "{{{ not json", "", "", "", "not an Ignition config"},
		{"binary", "\x00\x01\x02", "", "", "", "neither JSON"},
		{"yaml without variant", "foo: bar\n", "", "", "", `without a "variant:"`},
		{"empty", "  \n", "", "", "", "empty"},
		{"butane fcos 1.4", "variant: fcos\nversion: 1.4.0\npasswd:\n  users:\n    - name: altcos\n", "3.3.0", "3.3.0", "fcos 1.4.0", ""},
		{"butane fcos 1.5 lowered", "variant: fcos\nversion: 1.5.0\npasswd:\n  users:\n    - name: altcos\n", "3.3.0", "3.3.0", "fcos 1.4.0", ""},
		{"butane fcos 1.5 with a 1.5 feature", "variant: fcos\nversion: 1.5.0\nstorage:\n  luks:\n    - name: x\n      device: /dev/vdb\n      discard: true\n", "3.3.0", "", "", "rewrite it for version 1.4.0"},
		{"butane unknown variant", "variant: nope\nversion: 1.0.0\n", "", "", "", "does not translate"},
		{"butane bad field", "variant: fcos\nversion: 1.4.0\npasswd:\n  users: 3\n", "", "", "", "does not translate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Check("cfg.ign", []byte(tc.in), tc.max)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Check(%q) error = %v, want containing %q", tc.in, err, tc.wantErr)
				}
				var ie *InvalidError
				if !errors.As(err, &ie) {
					t.Errorf("Check(%q) error type %T, want *InvalidError", tc.in, err)
				}
				if !strings.HasPrefix(err.Error(), "cfg.ign: ") || strings.Contains(err.Error(), "\n") {
					t.Errorf("Check error %q: want one line naming the input", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Check(%q) error %v", tc.in, err)
			}
			if r.Spec != tc.spec || r.Butane != tc.butane {
				t.Errorf("Check(%q) = spec %s butane %q, want %s %q", tc.in, r.Spec, r.Butane, tc.spec, tc.butane)
			}
			var v map[string]any
			if err := json.Unmarshal(r.Config, &v); err != nil {
				t.Errorf("Check(%q).Config is not JSON: %v", tc.in, err)
			}
		})
	}
}

func TestValidateNoContentsInErrors(t *testing.T) {
	const marker = "SECRET-MARKER-93817"
	for _, in := range []string{
		`{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"rel","contents":{"source":"data:,` + marker + `"}}]}}`,
		`{"ignition":{"version":"3.3.0"},"passwd":{"users":[{"name":"` + marker + `","passwordHash":3}]}}`,
		"{" + marker,
		"variant: fcos\nversion: 1.4.0\n" + marker + ": [\n",
	} {
		_, err := Validate([]byte(in), "")
		if err == nil {
			t.Fatalf("Validate(%q) error nil, want an error", in)
		}
		if strings.Contains(err.Error(), marker) {
			t.Errorf("Validate(%q) error %q shows the config's contents", in, err)
		}
	}
}
