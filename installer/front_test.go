package installer

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/deployarchive"
)

const fakePC = "disks/testdata/pc" // the disks package's fake system tree

type fakePrompt struct {
	answers []string // to Confirm, in order
	asked   []string
}

func (f *fakePrompt) Select(string, []string) (int, error) { return 0, nil }
func (f *fakePrompt) Password(string) (string, error)      { return "", nil }
func (f *fakePrompt) Confirm(q string) (bool, error) {
	f.asked = append(f.asked, q)
	if len(f.answers) == 0 {
		return false, io.EOF
	}
	a := f.answers[0]
	f.answers = f.answers[1:]
	return a == "y", nil
}

type lines []string

func (l *lines) Step(int, int, string) {}
func (l *lines) Bytes(int64, int64)    {}
func (l *lines) Info(m string)         { *l = append(*l, m) }

func newState(p *Plan, pr Prompter) (*state, *lines) {
	var out lines
	if p.MinDiskBytes == 0 {
		p.MinDiskBytes = 8 << 30
	}
	return &state{plan: p, env: Env{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Progress: &out, Prompt: pr, SysRoot: fakePC}}, &out
}

func TestCheckTarget(t *testing.T) {
	for _, tc := range []struct{ dev, want string }{
		{"/dev/nvme0n1", ""},
		{"/dev/vda", ""},
		{"/dev/sdz", "/dev/sdz: no such disk; see the disks with altcos-installer list-disks"},
		{"/dev/vda1", "/dev/vda1: a partition, not a disk; give the whole disk /dev/vda"},
		{"/dev/md0", "a raid1 device built on other disks; give a disk"},
		{"/dev/mapper/vg0-data", "a lvm device built on other disks"},
		{"/dev/sda", "cannot be the target: sda1 is mounted at /, /var/lib/bind mount; unmount it or choose another disk; sda2 is in use as swap"},
		{"/dev/sdc", "held by LVM volume vg0-data"},
		{"/dev/sdd", "held by RAID array md0"},
		{"/dev/vdb", "4G is smaller than the 8G minimum"},
		{"/dev/vdc", "read-only"},
		{"/dev/sr0", "the medium the live system booted from"},
		{"/dev/sdf", "the medium the live system booted from"},
	} {
		s, _ := newState(&Plan{Device: tc.dev}, nil)
		err := checkTarget(context.Background(), s)
		if tc.want == "" {
			if err != nil {
				t.Errorf("checkTarget(%s) error %v", tc.dev, err)
			}
			continue
		}
		var te *TargetError
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &te) {
			t.Errorf("checkTarget(%s) error = %v, want a TargetError containing %q", tc.dev, err, tc.want)
		}
	}
}

func TestCheckTargetImage(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ dev, want string }{
		{filepath.Join(dir, "new.img"), ""},
		{dir, "needs a regular file"},
		{filepath.Join(dir, "no/such/x.img"), "its folder does not exist"},
	} {
		s, _ := newState(&Plan{Device: tc.dev, ImageMode: true}, nil)
		err := checkTarget(context.Background(), s)
		if (tc.want == "" && err != nil) || (tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want))) {
			t.Errorf("checkTarget(image %s) error = %v, want %q", tc.dev, err, tc.want)
		}
	}
}

func TestFetchIgnitionCeiling(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.ign")
	os.WriteFile(cfg, []byte(`{"ignition":{"version":"3.4.0"}}`), 0o600)
	// No manifest: Debian bookworm's 3.3 ceiling refuses 3.4.
	s, _ := newState(&Plan{Device: "/dev/vda", IgnitionFile: cfg}, nil)
	if err := fetchIgnition(context.Background(), s); err == nil || !strings.Contains(err.Error(), "newer than the 3.3.0 the target OS reads") {
		t.Errorf("fetchIgnition(3.4, no manifest) error = %v, want spec refusal", err)
	}
	// A manifest saying the OS reads 3.4 accepts it.
	s, out := newState(&Plan{Device: "/dev/vda", IgnitionFile: cfg}, nil)
	s.manifest = &deployarchive.Manifest{IgnitionSpec: "3.4.0"}
	if err := fetchIgnition(context.Background(), s); err != nil || string(s.ignition) != `{"ignition":{"version":"3.4.0"}}` {
		t.Errorf("fetchIgnition(3.4, manifest 3.4) = %q, %v", s.ignition, err)
	}
	if len(*out) == 0 || !strings.Contains((*out)[0], "spec 3.4.0") {
		t.Errorf("fetchIgnition info = %q, want the spec", *out)
	}
	// No config: nothing to install, no error.
	s, _ = newState(&Plan{Device: "/dev/vda"}, nil)
	if err := fetchIgnition(context.Background(), s); err != nil || s.ignition != nil {
		t.Errorf("fetchIgnition(none) = %q, %v", s.ignition, err)
	}
}

func TestConfirm(t *testing.T) {
	for _, tc := range []struct {
		name   string
		plan   Plan
		prompt *fakePrompt
		want   error
	}{
		{"y", Plan{Device: "/dev/vda"}, &fakePrompt{answers: []string{"y"}}, nil},
		{"n", Plan{Device: "/dev/vda"}, &fakePrompt{answers: []string{"n"}}, ErrAborted},
		{"yes flag", Plan{Device: "/dev/vda", Yes: true}, nil, nil},
		{"dry run", Plan{Device: "/dev/vda", DryRun: true}, nil, nil},
		{"nobody to ask", Plan{Device: "/dev/vda"}, nil, ErrNeedConfirm},
	} {
		var pr Prompter
		if tc.prompt != nil {
			pr = tc.prompt
		}
		s, out := newState(&tc.plan, pr)
		err := confirm(context.Background(), s)
		if !errors.Is(err, tc.want) {
			t.Errorf("confirm(%s) error = %v, want %v", tc.name, err, tc.want)
		}
		if tc.prompt != nil {
			if len(tc.prompt.asked) != 1 || !strings.Contains(tc.prompt.asked[0], "Wipe /dev/vda") {
				t.Errorf("confirm(%s) asked %q", tc.name, tc.prompt.asked)
			}
			joined := strings.Join(*out, "\n")
			if !strings.Contains(joined, "/dev/vda  20G  virtio") || !strings.Contains(joined, `vda2  19G  xfs  "old-root"`) {
				t.Errorf("confirm(%s) showed %q, want the disk and its partitions", tc.name, joined)
			}
		}
	}
}

func TestCheckTargetMissingImage(t *testing.T) {
	s, _ := newState(&Plan{Device: filepath.Join(t.TempDir(), "new.img")}, nil)
	if err := checkTarget(context.Background(), s); err == nil || !strings.Contains(err.Error(), "pass --image-mode to create an image file") {
		t.Errorf("checkTarget(missing file, no image mode) error = %v, want the --image-mode hint", err)
	}
}
