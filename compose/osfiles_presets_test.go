package compose

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
)

// The altcos dracut module applies the presets Ignition wrote for the units
// of its config, and only those: a unit enabled, a template's instances
// enabled, a unit disabled; a unit the preset does not name stays as it was.
func TestIgnitionPresetsScript(t *testing.T) {
	tooltest.Tools(t, "systemctl")
	script, err := filepath.Abs("../osfiles/usr/lib/dracut/modules.d/50altcos/altcos-ignition-presets.sh")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	unit := "[Unit]\nDescription=test\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n"
	for _, u := range []string{"hello.service", "tick@.service", "old.service", "other.service"} {
		writeFile(t, filepath.Join(root, "etc/systemd/system", u), unit, 0o644)
	}
	wants := filepath.Join(root, "etc/systemd/system/multi-user.target.wants")
	if err := os.MkdirAll(wants, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/systemd/system/old.service", filepath.Join(wants, "old.service")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(root, "etc/systemd/system-preset/20-ignition.preset"),
		"enable hello.service\nenable tick@.service a b\ndisable old.service\n", 0o644)

	cmd := exec.Command("/bin/sh", script)
	cmd.Env = append(os.Environ(), "ALTCOS_SYSROOT="+root)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
	if !strings.Contains(string(out), "hello.service") {
		t.Errorf("output %q does not name the units it applies", out)
	}
	for _, u := range []string{"hello.service", "tick@a.service", "tick@b.service"} {
		if _, err := os.Lstat(filepath.Join(wants, u)); err != nil {
			t.Errorf("%s not enabled: %v", u, err)
		}
	}
	for _, u := range []string{"old.service", "other.service"} {
		if _, err := os.Lstat(filepath.Join(wants, u)); err == nil {
			t.Errorf("%s enabled; the preset disables it or does not name it", u)
		}
	}

	// No preset file (a config without units): nothing to do, success.
	empty := t.TempDir()
	cmd = exec.Command("/bin/sh", script)
	cmd.Env = append(os.Environ(), "ALTCOS_SYSROOT="+empty)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("without a preset file: %v\n%s", err, out)
	}
}
