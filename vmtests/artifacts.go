package vmtests

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/altcos/altcos-tools/deployarchive"
	"github.com/altcos/altcos-tools/internal/run"
)

// Artifacts are the things under test, from a build of this tree or from a
// distribution's own build.
type Artifacts struct {
	ISO    string // the live ISO (altcos-build iso)
	PXEDir string // altcos-build pxe output: kernel, live initramfs, deploy archive initrd
	QCOW2  string // altcos-build qcow2 output
	// Manifest is the deploy archive manifest (deploy.json) whose commit and
	// version the installed system must show; when empty it is read from
	// the ISO or the PXE folder.
	Manifest string
	// Repo is the ostree repository the QCOW2 was built from (make compose:
	// out/repo); the update scenario makes its v2 on a copy of it.
	Repo string
	// GPGKey and GPGHomedir are the key that signed Repo's commits (the one
	// the OS trusts) and its GnuPG home: the update scenario signs its
	// updates with it. make compose signs with the throwaway key of
	// out/test-gpg (Discover finds it) unless ALTCOS_GPG_KEY names another.
	GPGKey     string
	GPGHomedir string
}

// artifactsFromEnv reads ALTCOS_VMTEST_ISO, ALTCOS_VMTEST_PXE_DIR,
// ALTCOS_VMTEST_QCOW2 and ALTCOS_VMTEST_MANIFEST; what they leave empty is
// looked for under ALTCOS_VMTEST_ARTIFACTS (a build's output folder).
func artifactsFromEnv() Artifacts {
	a := Artifacts{
		ISO:      os.Getenv("ALTCOS_VMTEST_ISO"),
		PXEDir:   os.Getenv("ALTCOS_VMTEST_PXE_DIR"),
		QCOW2:    os.Getenv("ALTCOS_VMTEST_QCOW2"),
		Manifest: os.Getenv("ALTCOS_VMTEST_MANIFEST"),
		Repo:     os.Getenv("ALTCOS_VMTEST_REPO"),
		GPGKey:   os.Getenv("ALTCOS_VMTEST_GPG_KEY"),
		// An empty homedir is gpg's default home.
		GPGHomedir: os.Getenv("ALTCOS_VMTEST_GPG_HOMEDIR"),
	}
	if dir := os.Getenv("ALTCOS_VMTEST_ARTIFACTS"); dir != "" {
		a = a.Fill(Discover(dir))
	}
	return a
}

// Fill returns a with its empty fields taken from b.
func (a Artifacts) Fill(b Artifacts) Artifacts {
	if a.ISO == "" {
		a.ISO = b.ISO
	}
	if a.PXEDir == "" {
		a.PXEDir = b.PXEDir
	}
	if a.QCOW2 == "" {
		a.QCOW2 = b.QCOW2
	}
	if a.Manifest == "" {
		a.Manifest = b.Manifest
	}
	if a.Repo == "" {
		a.Repo = b.Repo
	}
	if a.GPGKey == "" {
		a.GPGKey, a.GPGHomedir = b.GPGKey, b.GPGHomedir
	}
	return a
}

// Discover finds artifacts in a build's output folder: the newest live ISO
// (*.iso, not a customized copy under vmtest*/ or demo/), the folder holding a
// PXE kernel (*vmlinuz*, *-kernel*), the newest *.qcow2, and the newest deploy
// archive manifest (*deploy.json), the ostree repository named repo, and the
// test signing key of make test-gpg-key (test-gpg/fingerprint, test-gpg/home).
func Discover(dir string) Artifacts {
	var a Artifacts
	newest := map[string]time.Time{}
	pick := func(kind *string, key, p string, fi os.FileInfo) {
		if fi.ModTime().After(newest[key]) {
			newest[key] = fi.ModTime()
			*kind = p
		}
	}
	_ = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return nil
		}
		if fi.IsDir() {
			if fi.Name() == "repo" && a.Repo == "" {
				if _, err := os.Stat(filepath.Join(p, "config")); err == nil {
					a.Repo = p // an ostree repository: config, objects/, refs/
					return filepath.SkipDir
				}
			}
			// Artifacts sit at most two levels down; OS trees and repos
			// below would only slow the walk and offer wrong kernels.
			if rel, _ := filepath.Rel(dir, p); strings.Count(rel, string(filepath.Separator)) >= 2 {
				return filepath.SkipDir
			}
			if strings.HasPrefix(fi.Name(), "vmtest") || fi.Name() == "demo" {
				return filepath.SkipDir // our own disks and customized copies
			}
			return nil
		}
		n := fi.Name()
		switch {
		case strings.HasSuffix(n, ".iso"):
			pick(&a.ISO, "iso", p, fi)
		case strings.HasSuffix(n, ".qcow2"):
			pick(&a.QCOW2, "qcow2", p, fi)
		case (strings.Contains(n, "vmlinuz") || strings.Contains(n, "-kernel")) && !strings.Contains(p, "/iso"):
			pick(&a.PXEDir, "pxe", filepath.Dir(p), fi)
		case strings.HasSuffix(n, deployarchive.ManifestName):
			pick(&a.Manifest, "manifest", p, fi)
		case n == "fingerprint" && filepath.Base(filepath.Dir(p)) == testKeyDir && a.GPGKey == "":
			if b, err := os.ReadFile(p); err == nil {
				a.GPGKey, a.GPGHomedir = strings.TrimSpace(string(b)), filepath.Join(filepath.Dir(p), "home")
			}
		}
		return nil
	})
	return a
}

// testKeyDir is where make test-gpg-key keeps the throwaway signing key of
// test builds in the output folder: its fingerprint and GnuPG home.
const testKeyDir = "test-gpg"

// deployed is what `ostree admin status` of an installed system must show.
type deployed struct {
	Commit  string
	Version string
	Ref     string
}

func deployedFrom(m deployarchive.Manifest) deployed {
	return deployed{Commit: m.Commit, Version: m.Version, Ref: m.Ref}
}

func readManifest(path string) (deployarchive.Manifest, error) {
	var m deployarchive.Manifest
	data, err := os.ReadFile(path)
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("parse %s: %w", path, err)
	}
	if m.Commit == "" || m.Version == "" || m.Ref == "" {
		return m, fmt.Errorf("%s names no commit, version or ref", path)
	}
	return m, nil
}

// expected finds the manifest of the artifacts: the explicit one, the PXE
// folder's, or the one inside the ISO (read with xorriso: this machine's
// kernel has no iso9660).
func (e *Env) expected(ctx context.Context) (deployed, error) {
	if e.Art.Manifest != "" {
		m, err := readManifest(e.Art.Manifest)
		return deployedFrom(m), err
	}
	if e.Art.PXEDir != "" {
		if ms, _ := filepath.Glob(filepath.Join(e.Art.PXEDir, "*.json")); len(ms) > 0 {
			for _, p := range ms {
				if m, err := readManifest(p); err == nil {
					return deployedFrom(m), nil
				}
			}
		}
	}
	if e.Art.ISO != "" {
		dst := filepath.Join(e.Out, "iso-"+deployarchive.ManifestName)
		_ = os.Remove(dst)
		src := "/" + deployarchive.MediumDir + "/" + deployarchive.ManifestName
		if err := run.Run(ctx, e.Log, run.Cmd{Argv: []string{"xorriso", "-osirrox", "on", "-indev", e.Art.ISO, "-extract", src, dst}}); err != nil {
			return deployed{}, fmt.Errorf("read %s from %s: %w", src, e.Art.ISO, err)
		}
		m, err := readManifest(dst)
		return deployedFrom(m), err
	}
	return deployed{}, errors.New("no manifest: set ALTCOS_VMTEST_MANIFEST to the deploy archive's deploy.json")
}
