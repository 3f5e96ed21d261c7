package vmtests

import (
	"os"
	"testing"

	"github.com/altcos/altcos-tools/vmtests/qemu"
)

func TestPickPrompt(t *testing.T) {
	// The live ISO's console just after the first root password was
	// answered: promptui drew "Root password again" and then, below it,
	// the final state of the first password prompt.
	redraw, err := os.ReadFile("testdata/promptui-redraw.console")
	if err != nil {
		t.Fatal(err)
	}
	label := func(i int) string {
		if i < 0 {
			return "(none)"
		}
		return installerPrompts[i].label
	}
	set := func(labels ...string) map[string]bool {
		m := map[string]bool{}
		for _, l := range labels {
			m[l] = true
		}
		return m
	}
	for _, c := range []struct {
		name     string
		screen   string
		answered map[string]bool
		want     string
	}{
		{"redraw below the next prompt", qemu.Tail(string(redraw), 60), set("Install ALTCOS on which disk?", "Root password (empty"), "Root password again"},
		{"first password not yet answered", qemu.Tail(string(redraw), 60), set("Install ALTCOS on which disk?"), "Root password (empty"},
		{"everything on screen answered", qemu.Tail(string(redraw), 60), set("Install ALTCOS on which disk?", "Root password (empty", "Root password again"), "(none)"},
		{"specific label on the same line", "Installed.\nReboot now? [y/N]: ", set(), "Reboot now?"},
		{"wipe confirmation", "Erase /dev/vda and install ALTCOS? Type y to continue [y/N]: ", set("Root password again"), "[y/N]"},
		{"reboot after the wipe confirmation", "Type y to continue [y/N]: y\n[10/10] done\nReboot now? [y/N]: ", set("[y/N]"), "Reboot now?"},
		{"nothing asked", "[3/10] partition\n", set(), "(none)"},
	} {
		if got := label(pickPrompt(c.screen, c.answered)); got != c.want {
			t.Errorf("%s: pickPrompt = %q, want %q\nscreen:\n%s", c.name, got, c.want, c.screen)
		}
	}
}

func TestNoBootCode(t *testing.T) {
	disk := t.TempDir() + "/disk.img"
	blank := make([]byte, 4096)
	if err := os.WriteFile(disk, blank, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := noBootCode(disk); err != nil {
		t.Errorf("blank disk: %v", err)
	}
	blank[100] = 0xeb
	if err := os.WriteFile(disk, blank, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := noBootCode(disk); err == nil {
		t.Error("a disk with boot code in its MBR passed")
	}
}
