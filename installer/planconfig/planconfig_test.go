package planconfig

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/installer"
)

func TestPrecedence(t *testing.T) {
	p := Defaults()
	if err := ApplyDir(p, "testdata/installer.d"); err != nil {
		t.Fatal(err)
	}
	if p.Device != "/dev/vdb" || p.Origin["dest-device"] != "config testdata/installer.d/20-override.yaml" {
		t.Errorf("after drop-ins device = %s from %s, want /dev/vdb from 20-override", p.Device, p.Origin["dest-device"])
	}
	if p.FetchRetries != -1 || p.Platform != "qemu" || !reflect.DeepEqual(p.Console, []string{"ttyS0,115200n8"}) {
		t.Errorf("after drop-ins = retries %d platform %s console %v", p.FetchRetries, p.Platform, p.Console)
	}
	unattended, err := ApplyKargs(p, `quiet coreos.inst.install_dev=sdc altcos.inst.install_dev=/dev/nvme0n1 coreos.inst.ignition_url=https://h/c.ign altcos.inst.append_karg=a=1 altcos.inst.append_karg="b c" altcos.inst.skip_reboot altcos.inst.ssh_host_key=SHA256:abc`, "cmdline")
	if err != nil || !unattended {
		t.Fatalf("ApplyKargs = %v, %v", unattended, err)
	}
	want := map[string][2]string{
		"dest-device":  {"/dev/nvme0n1", "kernel argument altcos.inst.install_dev"},
		"ignition-url": {"https://h/c.ign", "kernel argument coreos.inst.ignition_url"},
		"no-reboot":    {"true", "kernel argument altcos.inst.skip_reboot"},
		"append-karg":  {"a=1 b c", "kernel argument altcos.inst.append_karg"},
		"platform":     {"qemu", "config testdata/installer.d/10-base.yaml"},
		"ssh-host-key": {"SHA256:abc", "kernel argument altcos.inst.ssh_host_key"},
	}
	check := func() {
		t.Helper()
		for k, w := range want {
			got := show(k, reflect.ValueOf(*p).Field(fields()[k]))
			if got != w[0] || p.Origin[k] != w[1] {
				t.Errorf("%s = %q from %q, want %q from %q", k, got, p.Origin[k], w[0], w[1])
			}
		}
	}
	check()
	if err := Set(p, "dest-device", "/dev/vda", "flag DEVICE", false); err != nil {
		t.Fatal(err)
	}
	want["dest-device"] = [2]string{"/dev/vda", "flag DEVICE"}
	check()
}

func TestKargsBad(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`altcos.inst.install_dev="/dev/sda`, "unterminated double quote"},
		{`altcos.inst.install_dev`, "needs a value: altcos.inst.install_dev=VALUE"},
		{`altcos.inst.ignition_url=`, "is empty"},
		{`altcos.inst.bogus=1`, "unknown kernel argument altcos.inst.bogus"},
		{`coreos.inst.secure_ipl`, "IBM Z Secure IPL does not exist on this architecture"},
		{`coreos.inst.firstboot_args=x`, "unknown kernel argument coreos.inst.firstboot_args"},
		{`altcos.inst.skip_reboot=maybe`, "not a boolean"},
	} {
		_, err := ApplyKargs(Defaults(), tc.in, "/proc/cmdline")
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "/proc/cmdline: ") {
			t.Errorf("ApplyKargs(%q) error = %v, want one naming /proc/cmdline containing %q", tc.in, err, tc.want)
		}
	}
	if u, err := ApplyKargs(Defaults(), "quiet root=UUID=x console=ttyS0", "c"); u || err != nil {
		t.Errorf("ApplyKargs(no installer args) = %v, %v, want false, nil", u, err)
	}
}

func TestYAMLBad(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"dest-devcie: /dev/sda\n", "field dest-devcie not found"},
		{"dest-device: [\n", "not YAML"},
		{"yes: maybe\n", "cannot unmarshal"},
		{"fetch-retries: lots\n", "cannot unmarshal"},
	} {
		err := ApplyYAML(Defaults(), []byte(tc.in), "x.yaml")
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "config x.yaml: ") || strings.Contains(err.Error(), "\n") {
			t.Errorf("ApplyYAML(%q) error = %v, want one line naming x.yaml containing %q", tc.in, err, tc.want)
		}
	}
}

func valid() *installer.Plan {
	p := Defaults()
	p.Device = "/dev/vda"
	return p
}

func TestValidate(t *testing.T) {
	if err := Validate(valid()); err != nil {
		t.Fatalf("Validate(minimal) error %v", err)
	}
	for _, tc := range []struct {
		name string
		mod  func(p *installer.Plan)
		want string
	}{
		{"no device", func(p *installer.Plan) { p.Device = "" }, "no target disk"},
		{"file and url", func(p *installer.Plan) { p.IgnitionFile, p.IgnitionURL = "a.ign", "https://h/c" }, "keep one"},
		{"http without hash", func(p *installer.Plan) { p.IgnitionURL = "http://h/c.ign" }, "plain http without --ignition-hash"},
		{"bad hash", func(p *installer.Plan) { p.IgnitionURL, p.IgnitionHash = "https://h/c", "md5-00" }, "sha256-<hex>"},
		{"hash without config", func(p *installer.Plan) { p.IgnitionHash = "sha256-00" }, "hash without an Ignition config"},
		{"bad scheme", func(p *installer.Plan) { p.IgnitionURL = "tftp://h/c" }, "unsupported scheme"},
		{"platform", func(p *installer.Plan) { p.Platform = "aws" }, `platform "aws" unknown`},
		{"password hash", func(p *installer.Plan) { p.RootPasswordHash = "secret" }, "not a crypt(3) hash"},
		{"karg with blank", func(p *installer.Plan) { p.AppendKargs = []string{"a b"} }, "not one kernel argument"},
		{"console", func(p *installer.Plan) { p.Console = []string{"ttyS0 115200"} }, "use a name and options"},
		{"host key", func(p *installer.Plan) { p.SSHHostKey = "MD5:aa" }, "SHA256:<base64>"},
		{"image url", func(p *installer.Plan) { p.ImageURL = "ftp://h/x" }, "http(s) URL"},
		{"retries", func(p *installer.Plan) { p.FetchRetries = -2 }, "fetch retries"},
	} {
		p := valid()
		tc.mod(p)
		err := Validate(p)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%s) error = %v, want containing %q", tc.name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("Validate(%s) error shows the value: %v", tc.name, err)
		}
	}
}

func TestPrintHidesSecrets(t *testing.T) {
	p := valid()
	p.RootPasswordHash = "$y$j9T$SALTSALT$HASHHASH"
	p.IgnitionURL = "https://user:PASSWORD@h/c.ign?token=TOKEN"
	p.Origin["root-password-hash"] = "flag --root-password-hash"
	Finish(p)
	var b bytes.Buffer
	Print(&b, p)
	out := b.String()
	for _, secret := range []string{"SALTSALT", "HASHHASH", "PASSWORD", "TOKEN"} {
		if strings.Contains(out, secret) {
			t.Errorf("Print shows %s:\n%s", secret, out)
		}
	}
	for _, want := range []string{"root-password-hash  (set, not shown)", "(flag --root-password-hash)", "image-file          /run/altcos/medium/altcos/deploy.tar.zst", "(live medium)", "platform            metal", "(default)", "https://h/c.ign?..."} {
		if !strings.Contains(out, want) {
			t.Errorf("Print output lacks %q:\n%s", want, out)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"1024": 1024, "8G": 8 << 30, "8GiB": 8 << 30, "512M": 512 << 20, "1t": 1 << 40} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v, want %d", in, got, err, want)
		}
	}
	if _, err := parseSize("8X"); err == nil {
		t.Errorf("parseSize(8X) error nil")
	}
}
