package stream

import (
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	for _, tc := range []struct{ base, want string }{
		{"http://127.0.0.1:8080/streams/", "http://127.0.0.1:8080/streams/p10.json"},
		{"http://127.0.0.1:8080/streams", "http://127.0.0.1:8080/streams/p10.json"},
		{"https://builds.example/", "https://builds.example/p10.json"},
	} {
		if got, err := URL(tc.base, "p10"); err != nil || got != tc.want {
			t.Errorf("URL(%q, p10) = %q, %v; want %q", tc.base, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "builds.example/streams", "ftp://h/streams/", "http:///streams/"} {
		if _, err := URL(bad, "p10"); err == nil {
			t.Errorf("URL(%q) = nil error, want it refused", bad)
		}
	}
}

// TestBadInputDecode: what is not stream metadata is refused; unknown
// fields (a newer writer's, Fedora CoreOS's) are not.
func TestBadInputDecode(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`[1,2]`, "cannot unmarshal array"},
		{`{"stream":"p10"`, "unexpected EOF"},
		{`{"stream":"p10","architectures":{}}`, "names no stream or no architectures"},
		{`{"note":"For use only by ALTCOS tools","releases":[]}`, "names no stream or no architectures"},
	} {
		if _, err := Decode(strings.NewReader(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Decode(%s) = %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
	m, err := Decode(strings.NewReader(`{"stream":"p10","future":1,"architectures":{"x86_64":{"artifacts":{"metal":{"release":"p10.1","formats":{"iso":{"disk":{"location":"https://h/a.iso","sha256":"ab","size":3}}}}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Format("aarch64", "metal", "iso"); err == nil || !strings.Contains(err.Error(), "has no architecture aarch64 (it has x86_64)") {
		t.Errorf("Format(aarch64) = %v", err)
	}
	if _, _, err := m.Format("x86_64", "qemu", "qcow2"); err == nil || !strings.Contains(err.Error(), "has no qemu qcow2 for x86_64") {
		t.Errorf("Format(qemu qcow2) = %v", err)
	}
	files, rel, err := m.Format("x86_64", "metal", "iso")
	if err != nil || rel != "p10.1" || files["disk"].Location != "https://h/a.iso" {
		t.Errorf("Format(metal iso) = %v, %q, %v", files, rel, err)
	}
	if rows := m.Rows(); len(rows) != 1 || rows[0].Signed || strings.Join(rows[0].Roles, ",") != "disk" {
		t.Errorf("Rows() = %+v, want one unsigned disk row", rows)
	}
}
