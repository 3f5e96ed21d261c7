package ostree

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/internal/testkit/testcommit"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
)

func TestAdminArgv(t *testing.T) {
	tests := []struct {
		name string
		got  []string
		want []string
	}{
		{"init-fs modern", initFSArgs("/s", true), []string{"ostree", "admin", "init-fs", "--modern", "/s"}},
		{"init-fs", initFSArgs("/s", false), []string{"ostree", "admin", "init-fs", "/s"}},
		{"remote add", remoteAddArgs("/s/ostree/repo", "altcos", "https://x/repo"),
			[]string{"ostree", "remote", "add", "--repo=/s/ostree/repo", "--if-not-exists", "--no-gpg-verify", "altcos", "https://x/repo"}},
		{"deploy", deployArgs("/s", DeployOptions{OSName: "alt-containeros", Refspec: "altcos:altcos/x86_64/sisyphus", Kargs: []string{"root=LABEL=root", "rw"}}),
			[]string{"ostree", "admin", "deploy", "--sysroot=/s", "--os=alt-containeros", "--karg=root=LABEL=root", "--karg=rw", "altcos:altcos/x86_64/sisyphus"}},
		{"deploy karg-none", deployArgs("/s", DeployOptions{Refspec: "abc", KargsNone: true}),
			[]string{"ostree", "admin", "deploy", "--sysroot=/s", "--karg-none", "abc"}},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s: argv = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

// TestSysrootDeployGRUB2 makes a sysroot with the real ostree, deploys twice
// with the grub2 integration and checks that the generated menu follows:
// the newest deployment is the first (default) entry.
func TestSysrootDeployGRUB2(t *testing.T) {
	tooltest.Root(t)
	tooltest.Tools(t, append(testcommit.Tools, "ostree")...)
	ctx := context.Background()
	dir := t.TempDir()
	t.Cleanup(func() { testcommit.ClearImmutable(dir) })
	repo, commit, err := testcommit.Make(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	s := &Sysroot{Path: filepath.Join(dir, "sysroot")}
	if err := os.Mkdir(s.Path, 0o755); err != nil {
		t.Fatal(err)
	}
	gen, err := WriteGRUB2Generator(dir)
	if err != nil {
		t.Fatal(err)
	}
	ref := "altcos:" + testcommit.Ref
	for _, step := range []func() error{
		func() error { return s.InitFS(ctx, true) },
		func() error { return s.OSInit(ctx, "alt-containeros") },
		func() error { return s.PullLocal(ctx, repo, testcommit.Ref) },
		func() error { return s.AddRemote(ctx, "altcos", "https://example.org/repo") },
		func() error { return s.CreateRef(ctx, ref, testcommit.Ref) },
		func() error { return s.SetConfig(ctx, "sysroot.bootloader", "grub2") },
		func() error {
			return s.Deploy(ctx, DeployOptions{OSName: "alt-containeros", Refspec: ref, Kargs: []string{"root=LABEL=root", "rw"}, GRUB2Exec: gen})
		},
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	ds, err := s.Status(ctx)
	if err != nil || len(ds) != 1 {
		t.Fatalf("ListDeployments = %+v, %v; want one deployment", ds, err)
	}
	if ds[0].Checksum != commit || ds[0].Version != testcommit.Version || ds[0].Refspec != ref {
		t.Errorf("deployment = %+v, want commit %s version %s refspec %s", ds[0], commit, testcommit.Version, ref)
	}
	// defaultDeployment follows the first menu entry's ostree= argument to
	// the deployment directory it boots.
	defaultDeployment := func() (string, string) {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(s.Path, "boot/loader/grub.cfg"))
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if !strings.HasPrefix(l, "linux ") {
				continue
			}
			for _, f := range strings.Fields(l) {
				if v, ok := strings.CutPrefix(f, "ostree="); ok {
					target, err := filepath.EvalSymlinks(filepath.Join(s.Path, v))
					if err != nil {
						t.Fatal(err)
					}
					return l, filepath.Base(target)
				}
			}
		}
		t.Fatalf("boot/loader/grub.cfg has no linux line with ostree=:\n%s", b)
		return "", ""
	}
	if l, d := defaultDeployment(); !strings.Contains(l, "root=LABEL=root") || d != commit+".0" {
		t.Errorf("first menu entry = %q booting %s, want the deployment's kargs and %s.0", l, d, commit)
	}
	if err := s.Deploy(ctx, DeployOptions{OSName: "alt-containeros", Refspec: ref, GRUB2Exec: gen}); err != nil {
		t.Fatal(err)
	}
	if l, d := defaultDeployment(); !strings.Contains(l, "root=LABEL=root") || d != commit+".1" {
		t.Errorf("after a second deploy, first menu entry = %q booting %s, want the merged kargs and %s.1", l, d, commit)
	}
}
