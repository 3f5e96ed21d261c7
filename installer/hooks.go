package installer

// Steps "pre-install hooks" and "post-install hooks": the operator's
// programs, run with the target and the plan in ALTCOS_INSTALL_*
// variables (never a secret: no password hash, no Ignition content or
// URL), their output streamed as progress lines. A failing pre-install hook
// stops the install before the first write; a failing post-install hook
// fails it, and the failure cleanup runs.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/altcos/altcos-tools/internal/run"
)

// HookArgv is the command that runs the hook file: the file itself when it
// is executable, else /bin/sh FILE. It refuses a missing file, a folder,
// or anything else that is not a regular file.
func HookArgv(file string) ([]string, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, fmt.Errorf("hook %s: %w", file, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("hook %s: %w; check the path", file, errors.Unwrap(err))
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("hook %s is not a regular file; give a script or a program", file)
	}
	if fi.Mode().Perm()&0o111 == 0 {
		return []string{"/bin/sh", abs}, nil
	}
	return []string{abs}, nil
}

// hookEnv lists the variables a hook gets on top of the installer's own
// environment. Post-install hooks also get the mounted filesystems.
func hookEnv(s *state, phase string) []string {
	p := s.plan
	env := map[string]string{
		"ALTCOS_INSTALL_PHASE":      phase,
		"ALTCOS_INSTALL_DEV":        p.Device,
		"ALTCOS_INSTALL_IMAGE_MODE": strconv.FormatBool(p.ImageMode),
		"ALTCOS_INSTALL_PLATFORM":   p.Platform,
		"ALTCOS_INSTALL_CONSOLE":    strings.Join(p.Console, " "),
		"ALTCOS_INSTALL_IGNITION":   strconv.FormatBool(s.ignition != nil), // whether, never what
	}
	if m := s.manifest; m != nil {
		env["ALTCOS_INSTALL_STREAM"], env["ALTCOS_INSTALL_VERSION"], env["ALTCOS_INSTALL_COMMIT"] = m.Stream, m.Version, m.Commit
	}
	var kept []string
	for _, k := range s.kept {
		kept = append(kept, strconv.Itoa(k.Number))
	}
	env["ALTCOS_INSTALL_KEPT_PARTITIONS"] = strings.Join(kept, " ")
	if t := s.target; t != nil {
		env["ALTCOS_INSTALL_BLOCKDEV"] = t.dev // the loop device in image mode
		env["ALTCOS_INSTALL_SYSROOT"] = t.rootDir
		env["ALTCOS_INSTALL_BOOT"] = t.bootDir
		if s.manifest != nil {
			env["ALTCOS_INSTALL_DEPLOYMENT"] = s.deploymentDir()
		}
		env["ALTCOS_INSTALL_ROOT_UUID"], env["ALTCOS_INSTALL_BOOT_UUID"] = t.rootUUID, t.bootUUID
	}
	var out []string
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

func preInstall(ctx context.Context, s *state) error {
	// Every hook, the post-install ones too, is checked before the first write.
	for _, h := range append(append([]string(nil), s.plan.PreInstall...), s.plan.PostInstall...) {
		if _, err := HookArgv(h); err != nil {
			return err
		}
	}
	if s.plan.DryRun {
		for _, h := range s.plan.PreInstall {
			s.env.Progress.Info("dry run: would run pre-install hook " + h)
		}
		return nil
	}
	return runHooks(ctx, s, "pre-install", s.plan.PreInstall)
}

func postInstall(ctx context.Context, s *state) error {
	if err := s.target.syncAll(); err != nil {
		return err
	}
	return runHooks(ctx, s, "post-install", s.plan.PostInstall)
}

func runHooks(ctx context.Context, s *state, phase string, files []string) error {
	for _, h := range files {
		argv, err := HookArgv(h)
		if err != nil {
			return err
		}
		s.env.Progress.Info(fmt.Sprintf("%s hook %s:", phase, h))
		out := &lineWriter{emit: func(l string) { s.env.Progress.Info("  " + l) }}
		err = run.Run(ctx, s.env.Log, run.Cmd{Argv: argv, Env: hookEnv(s, phase), Stdout: out, Stderr: out})
		out.flush()
		if err != nil {
			return fmt.Errorf("%s hook %s failed (its output is above): %w", phase, h, err)
		}
	}
	return nil
}

// lineWriter calls emit once per complete line written to it, from one or
// more streams.
type lineWriter struct {
	mu   sync.Mutex
	buf  []byte
	emit func(string)
}

func (w *lineWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		w.emit(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
}

func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.emit(string(w.buf))
		w.buf = nil
	}
}
