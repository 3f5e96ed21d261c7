package installer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/deployarchive"
	"github.com/altcos/altcos-tools/internal/testkit/archivetest"
	"github.com/altcos/altcos-tools/internal/testkit/sfdisktest"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
)

func TestHookArgv(t *testing.T) {
	dir := t.TempDir()
	sh, exe := filepath.Join(dir, "hook.sh"), filepath.Join(dir, "hook")
	os.WriteFile(sh, []byte("echo hi\n"), 0o644)
	os.WriteFile(exe, []byte("#!/bin/sh\necho hi\n"), 0o755)
	for _, tt := range []struct {
		file string
		want []string
		err  string
	}{
		{sh, []string{"/bin/sh", sh}, ""},
		{exe, []string{exe}, ""},
		{filepath.Join(dir, "none"), nil, "no such file or directory; check the path"},
		{dir, nil, "is not a regular file"},
	} {
		got, err := HookArgv(tt.file)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("HookArgv(%s) = %v, want an error containing %q", tt.file, err, tt.err)
			}
			continue
		}
		if err != nil || strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("HookArgv(%s) = %q, %v; want %q", tt.file, got, err, tt.want)
		}
	}
}

// TestInstallHooks: a failing pre-install hook stops the install before
// the first write (the image is byte-identical); a failing post-install
// hook runs with the filesystems mounted, its output is shown, and the
// failure cleanup wipes the disk. Hooks see the plan in ALTCOS_INSTALL_*
// and never the root password hash.
func TestInstallHooks(t *testing.T) {
	tooltest.Root(t)
	tooltest.Tools(t, installTools...)
	archiveDir, _ := archivetest.Build(t, "")
	archive := filepath.Join(archiveDir, deployarchive.ArchiveName)
	const hash = "$y$j9T$SECRETSALTSECRET$SECRETHASHSECRETHASHSECRETHASHSECRETHASH12"
	dir := t.TempDir()
	envDump := filepath.Join(dir, "env")

	t.Run("pre-install fails", func(t *testing.T) {
		img := sparseImage(t, 2<<30)
		f, _ := os.OpenFile(img, os.O_WRONLY, 0)
		f.WriteAt([]byte("old content that must stay"), 0)
		f.WriteAt([]byte("more old content"), 1<<30)
		f.Close()
		before := rangeSum(t, img, 0, 2<<30)
		hook := filepath.Join(dir, "pre.sh") // not executable: run with /bin/sh
		os.WriteFile(hook, []byte("env > "+envDump+"\necho pre-out\necho pre-err >&2\nexit 3\n"), 0o644)
		var msgs []string
		rep := &recordingReporter{onInfo: func(m string) { msgs = append(msgs, m) }}
		err := Run(context.Background(), &Plan{Device: img, ImageMode: true, ImageFile: archive, Yes: true, RootPasswordHash: hash, PreInstall: []string{hook}}, Env{Progress: rep})
		var se *StepError
		if !errors.As(err, &se) || se.Step != "pre-install hooks" || se.Fail != FailHook || !strings.Contains(err.Error(), "pre-err") {
			t.Fatalf("Run(failing pre-install hook) = %v, want a pre-install hooks StepError of class FailHook with the hook's stderr", err)
		}
		if got := rangeSum(t, img, 0, 2<<30); got != before {
			t.Errorf("the image changed, want it byte-identical after a failing pre-install hook")
		}
		for _, want := range []string{"  pre-out", "  pre-err"} {
			if !contains(msgs, want) {
				t.Errorf("hook output %q not streamed; messages %q", want, msgs)
			}
		}
		env, _ := os.ReadFile(envDump)
		for _, want := range []string{"ALTCOS_INSTALL_DEV=" + img, "ALTCOS_INSTALL_PHASE=pre-install", "ALTCOS_INSTALL_STREAM=sisyphus", "ALTCOS_INSTALL_IMAGE_MODE=true"} {
			if !strings.Contains(string(env), want+"\n") {
				t.Errorf("pre-install hook environment lacks %s:\n%s", want, env)
			}
		}
		if strings.Contains(string(env), "SECRET") {
			t.Errorf("the hook's environment holds the root password hash")
		}
		noLoopsLeft(t, img)
	})

	t.Run("post-install fails", func(t *testing.T) {
		img := sparseImage(t, 2<<30)
		hook := filepath.Join(dir, "post")
		os.WriteFile(hook, []byte("#!/bin/sh\nenv > "+envDump+"\ntest -d \"$ALTCOS_INSTALL_SYSROOT/ostree/repo\" && echo sysroot-mounted\necho post-failed >&2\nexit 1\n"), 0o755)
		var msgs []string
		rep := &recordingReporter{onInfo: func(m string) { msgs = append(msgs, m) }}
		err := Run(context.Background(), &Plan{Device: img, ImageMode: true, ImageFile: archive, Yes: true, RootPasswordHash: hash, PostInstall: []string{hook}}, Env{Progress: rep})
		var se *StepError
		if !errors.As(err, &se) || se.Step != "post-install hooks" || se.Fail != FailHook || !strings.Contains(err.Error(), "post-failed") {
			t.Fatalf("Run(failing post-install hook) = %v, want a post-install hooks StepError with the hook's stderr", err)
		}
		if !contains(msgs, "  sysroot-mounted") || !contains(msgs, "  post-failed") {
			t.Errorf("post-install hook output not streamed, or the sysroot was not mounted; messages %q", msgs)
		}
		if tab, ok := sfdisktest.Read(t, img); ok {
			t.Errorf("after the failing post-install hook sfdisk finds %+v, want the disk wiped", tab)
		}
		env, _ := os.ReadFile(envDump)
		for _, want := range []string{"ALTCOS_INSTALL_PHASE=post-install", "ALTCOS_INSTALL_BLOCKDEV=/dev/loop", "ALTCOS_INSTALL_ROOT_UUID=", "ALTCOS_INSTALL_DEPLOYMENT=/"} {
			if !strings.Contains(string(env), want) {
				t.Errorf("post-install hook environment lacks %s:\n%s", want, env)
			}
		}
		if strings.Contains(string(env), "SECRET") {
			t.Errorf("the hook's environment holds the root password hash")
		}
		noLoopsLeft(t, img)
	})
}
