package testos

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestReadPackages(t *testing.T) {
	got, err := ReadPackages(strings.NewReader("# comment\nbash\n\n  podman  # containers\nlinux-image-amd64\n"))
	want := []string{"bash", "podman", "linux-image-amd64"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ReadPackages() = %q, %v, want %q", got, err, want)
	}
	for _, bad := range []string{"", "# only a comment\n", "bash\nbash\n", "bash zsh\n", "a,b\n"} {
		if got, err := ReadPackages(strings.NewReader(bad)); err == nil {
			t.Errorf("ReadPackages(%q) = %q, want an error", bad, got)
		}
	}
}

// The shipped lists must parse and carry what the issue and the boot need;
// sisyphus has the container engine, p10 (a smaller set standing in for ALT's
// stable branch) has not, so the streams' trees and cache keys differ.
func TestShippedPackages(t *testing.T) {
	boot := []string{"linux-image-amd64", "zstd", "systemd-sysv", "dracut", "ostree", "ostree-boot",
		"ignition", "grub-pc-bin", "grub-efi-amd64-bin", "grub2-common", "e2fsprogs", "dosfstools", "passwd",
		"login", "sudo", "kmod", "udev", "iproute2", "openssh-server", "dracut-network", "dbus", "procps", "curl"}
	keys := map[string]string{}
	for _, tt := range []struct {
		stream       string
		have, hasNot []string
	}{
		{"sisyphus", append([]string{"podman", "docker.io", "containerd", "docker-compose", "apparmor"}, boot...), nil},
		{"p10", boot, []string{"podman", "docker.io"}},
	} {
		list := StreamList(".", tt.stream)
		f, err := os.Open(list)
		if err != nil {
			t.Fatal(err)
		}
		pkgs, err := ReadPackages(f)
		f.Close()
		if err != nil {
			t.Fatalf("ReadPackages(%s) error %v", list, err)
		}
		have := map[string]bool{}
		for _, p := range pkgs {
			have[p] = true
		}
		for _, p := range tt.have {
			if !have[p] {
				t.Errorf("%s lacks %s", list, p)
			}
		}
		for _, p := range tt.hasNot {
			if have[p] {
				t.Errorf("%s has %s, want it only in sisyphus", list, p)
			}
		}
		keys[tt.stream] = Key(DefaultSuite, DefaultMirror, pkgs)
	}
	if keys["p10"] == keys["sisyphus"] {
		t.Errorf("Key(p10) = Key(sisyphus) = %s, want a tree of its own per stream", keys["p10"])
	}
}

func TestKeyAndArgs(t *testing.T) {
	args := MmdebstrapArgs("bookworm", "http://m/debian", []string{"a", "b"}, "/t")
	want := []string{"mmdebstrap", "--mode=root", "--variant=apt", `--aptopt=APT::Install-Recommends "false"`}
	for _, p := range pathExcludes {
		want = append(want, "--dpkgopt=path-exclude="+p)
	}
	want = append(want, "--dpkgopt=path-include=/usr/share/doc/*/copyright")
	want = append(want, "--include=a,b", "--customize-hook="+networkHook, "bookworm", "/t", "http://m/debian")
	if !reflect.DeepEqual(args, want) {
		t.Errorf("MmdebstrapArgs() = %q, want %q", args, want)
	}
	k := Key("bookworm", "http://m/debian", []string{"a", "b"})
	if len(k) != 16 {
		t.Errorf("Key() = %q, want 16 hex digits", k)
	}
	for _, other := range []string{
		Key("trixie", "http://m/debian", []string{"a", "b"}),
		Key("bookworm", "http://n/debian", []string{"a", "b"}),
		Key("bookworm", "http://m/debian", []string{"a", "b", "c"}),
	} {
		if other == k {
			t.Errorf("Key() = %q for different inputs, want a different key", k)
		}
	}
	if again := Key("bookworm", "http://m/debian", []string{"a", "b"}); again != k {
		t.Errorf("Key() = %q then %q for the same inputs", k, again)
	}
}
