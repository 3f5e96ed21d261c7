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

// The shipped list must parse and carry what the issue and the boot need.
func TestShippedPackages(t *testing.T) {
	f, err := os.Open("packages.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pkgs, err := ReadPackages(f)
	if err != nil {
		t.Fatalf("ReadPackages(packages.txt) error %v", err)
	}
	have := map[string]bool{}
	for _, p := range pkgs {
		have[p] = true
	}
	for _, p := range []string{"linux-image-amd64", "systemd-sysv", "dracut", "ostree", "ostree-boot",
		"ignition", "grub-pc-bin", "grub-efi-amd64-bin", "grub2-common", "e2fsprogs", "dosfstools", "passwd",
		"login", "sudo", "kmod", "udev", "iproute2", "openssh-server", "podman", "docker.io", "containerd", "docker-compose", "dracut-network", "dbus", "procps", "curl"} {
		if !have[p] {
			t.Errorf("packages.txt lacks %s", p)
		}
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
