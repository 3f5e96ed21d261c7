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

// TestBadInputKargs: installer kernel arguments, bad ones refused by
// ApplyKargs or by Validate, each error naming its source and never a
// password.
func TestBadInputKargs(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`altcos.inst.install_dev="/dev/sda`, "unterminated double quote"},
		{`altcos.inst.install_dev`, "needs a value: altcos.inst.install_dev=VALUE"},
		{`altcos.inst.ignition_url=`, "is empty"},
		{`altcos.inst.bogus=1`, "unknown kernel argument altcos.inst.bogus"},
		{`coreos.inst.secure_ipl`, "IBM Z Secure IPL does not exist on this architecture"},
		{`coreos.inst.firstboot_args=x`, "unknown kernel argument coreos.inst.firstboot_args"},
		{`altcos.inst.skip_reboot=maybe`, "not a boolean"},
		{`altcos.inst.ignition_url=http://10.0.2.2/c.ign`, "http://10.0.2.2/c.ign: plain http without --ignition-hash can be altered on the way"},
		{`altcos.inst.ignition_url=root:S3cr3tPw@10.0.2.2:/srv/c.ign`, "passwords are not taken from the command line"},
		{`altcos.inst.ignition_url=tftp://h/c.ign`, `unsupported scheme "tftp"`},
		{`altcos.inst.ignition_url=https://h/c.ign altcos.inst.ignition_hash=md5-abc`, "unknown form; use sha256-<hex> or sha512-<hex>"},
		{`altcos.inst.ignition_url=https://h/c.ign altcos.inst.ssh_host_key=MD5:ab`, "kernel argument altcos.inst.ssh_host_key: give the host key as SHA256:<base64>"},
		{`altcos.inst.stream_base_url=http://h/streams/`, "a stream base URL without a stream; give --stream"},
		{`altcos.inst.stream=sisyphus altcos.inst.stream_base_url=ftp://h/streams/`, "the stream base URL must be an http(s) URL"},
		{`coreos.inst.stream=sisyphus altcos.inst.stream_base_url=http://h/streams/ coreos.inst.image_url=https://h/deploy.tar.zst`, "both a stream to download"},
		{`altcos.inst.image_sha256=abc`, `"abc" is not a sha256`},
	} {
		p := valid()
		_, err := ApplyKargs(p, tc.in, "/proc/cmdline")
		if err == nil {
			err = Validate(p)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ApplyKargs+Validate(%q) error = %v, want one containing %q", tc.in, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "S3cr3tPw") {
			t.Errorf("ApplyKargs+Validate(%q) error = %v shows the password", tc.in, err)
		}
	}
	if u, err := ApplyKargs(Defaults(), "quiet root=UUID=x console=ttyS0", "c"); u || err != nil {
		t.Errorf("ApplyKargs(no installer args) = %v, %v, want false, nil", u, err)
	}
}

// TestBadInputYAML: installer config files, bad ones refused by ApplyYAML
// (one line naming the file) or by Validate.
func TestBadInputYAML(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"dest-devcie: /dev/sda\n", "field dest-devcie not found"},
		{"dest-device: [\n", "not YAML"},
		{"yes: maybe\n", "cannot unmarshal"},
		{"fetch-retries: lots\n", "cannot unmarshal"},
		{"min-disk-bytes: 99999999999999999999\n", "cannot unmarshal"},
		{"min-disk-bytes: 8G\n", "cannot unmarshal"},
		{"ignition-url: [a, b]\n", "cannot unmarshal"},
		{"ignition-url: root:S3cr3tPw@10.0.2.2:/srv/c.ign\n", "passwords are not taken from the command line"},
		{"ignition-url: http://10.0.2.2/c.ign\n", "http://10.0.2.2/c.ign: plain http without --ignition-hash"},
		{"ignition-url: https://h/c.ign\nignition-file: /c.ign\n", "both an Ignition file"},
	} {
		p := valid()
		err := ApplyYAML(p, []byte(tc.in), "x.yaml")
		if err == nil {
			err = Validate(p)
		} else if !strings.HasPrefix(err.Error(), "config x.yaml: ") || strings.Contains(err.Error(), "\n") {
			t.Errorf("ApplyYAML(%q) error = %v, want one line naming x.yaml", tc.in, err)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ApplyYAML+Validate(%q) error = %v, want one containing %q", tc.in, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "S3cr3tPw") {
			t.Errorf("ApplyYAML+Validate(%q) error = %v shows the password", tc.in, err)
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

// TestSCPPasswordNotShown: an scp shorthand with a password is refused by
// Validate, and neither the error nor the dry-run plan shows the password.
func TestSCPPasswordNotShown(t *testing.T) {
	p := valid()
	p.IgnitionURL = "root:S3cr3tPw@10.0.2.2:/srv/c.ign"
	p.Origin["ignition-url"] = "flag -I"
	err := Validate(p)
	var b bytes.Buffer
	Print(&b, p)
	if err == nil || strings.Contains(err.Error(), "S3cr3tPw") || strings.Contains(b.String(), "S3cr3tPw") {
		t.Errorf("Validate(user:PASSWORD@host:path) = %v, plan:\n%s\nwant an error, and the password in neither", err, b.String())
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
	if got, err := parseSize("8388607T"); err != nil || got != 8388607<<40 {
		t.Errorf("parseSize(8388607T) = %d, %v, want %d", got, err, int64(8388607)<<40)
	}
}

// TestParseSizeOverflow: a size that does not fit in 63 bits is refused,
// not wrapped round to a negative or small number.
func TestParseSizeOverflow(t *testing.T) {
	for _, in := range []string{"9999999999T", "8388608T", "9007199254740992K", "9223372036854775808"} {
		got, err := parseSize(in)
		if err == nil || !strings.Contains(err.Error(), "too large") {
			t.Errorf("parseSize(%q) = %d, %v, want a \"too large\" error", in, got, err)
		}
	}
	p := Defaults()
	err := Set(p, "min-disk-bytes", "9999999999T", "flag --min-disk-bytes", false)
	if err == nil || !strings.Contains(err.Error(), `min-disk-bytes="9999999999T"`) || !strings.Contains(err.Error(), "at most 8388607T") {
		t.Errorf("Set(min-disk-bytes=9999999999T) error = %v, want one naming the value and the maximum", err)
	}
}
