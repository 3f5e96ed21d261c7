package initramfs

import (
	"os"
	"strings"
	"testing"
)

// TestCorePackagesAreTools: the live initramfs builds u-root's commands from
// this module, so their dependencies must stay in go.mod. Nothing of ours
// imports them; a `tool` directive per command keeps `go mod tidy` from
// dropping those requirements (it did once, and the live initramfs failed
// to build: "could not import github.com/insomniacslk/dhcp/dhcpv4").
func TestCorePackagesAreTools(t *testing.T) {
	b, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	tools := map[string]bool{}
	inBlock := false
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "tool" && f[1] == "(":
			inBlock = true
		case inBlock && len(f) == 1 && f[0] == ")":
			inBlock = false
		case inBlock && len(f) == 1:
			tools[f[0]] = true
		case len(f) == 2 && f[0] == "tool":
			tools[f[1]] = true
		}
	}
	for _, p := range corePackagePaths() {
		if !tools[p] {
			t.Errorf("go.mod has no `tool %s`: run go get -tool %s", p, p)
		}
	}
}
