package site

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
)

// shown is what the page shows for the current choice.
type shown struct {
	Arch, Stream, Version, Type string
	Compressed                  bool
	UncompressedDisabled        bool
	Rows                        []struct{ Role, Name, Href, Size, SHA, USHA, Sig string }
	Verify                      string
	Errors                      []string // uncaught script errors since the page loaded
}

const readShown = `(() => {
  const v = (id) => document.getElementById(id).value;
  return {
    Arch: v("arch"), Stream: v("stream"), Version: v("version"), Type: v("type"),
    Compressed: document.getElementById("compressed").checked,
    UncompressedDisabled: document.getElementById("uncompressed").disabled,
    Rows: [...document.querySelectorAll("#files tbody tr")].map((tr) => ({
      Role: tr.dataset.role, Name: tr.querySelector("a.file").textContent, Href: tr.querySelector("a.file").href,
      Size: tr.querySelector(".size").textContent, SHA: tr.querySelector(".sha256").textContent,
      USHA: (tr.querySelector(".usha") || {}).textContent || "", Sig: (tr.querySelector("a.sig") || {}).href || "",
    })),
    Verify: document.getElementById("verify").textContent,
    Errors: window.siteTestErrors,
  };
})()`

// choose sets a picker as a user would and fires its change event.
func choose(id, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(
			`(() => { const s = document.getElementById(%q); s.value = %q; s.dispatchEvent(new Event("change")); return s.value })()`, id, value)))
		if err == nil && got != value {
			err = fmt.Errorf("picker %s has no option %q", id, value)
		}
		return err
	})
}

// TestSiteInBrowser serves a generated site and small fake artifacts with
// serve's Handler and drives the page in headless Chromium: the pickers
// change the link and sha256 shown; the links download files whose sha256 is
// the one shown; a screenshot goes to out/site-test/ for a human to look at.
func TestSiteInBrowser(t *testing.T) {
	tooltest.Tools(t, "chromium")
	tooltest.Slow(t)
	start := time.Now()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	origin := "http://" + ln.Addr().String()
	streamDir, artA, artB, siteDir := t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()
	writeFixture(t, streamDir, artA, artB, origin+"/artifacts/")
	// artB is not given: p10's sizes come from the server (HEAD).
	if _, err := Write(Options{StreamDir: streamDir, ArtifactDirs: []string{artA}}, siteDir); err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: Handler(Dirs{Site: siteDir, Artifacts: []string{artA, artB}, Streams: streamDir}), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()

	// This machine's network is closed: without the background-networking
	// flags Chromium waits on refused connections.
	downloads := t.TempDir()
	actx, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(run.Path("chromium")), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-extensions", true))
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	err = chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
				Source: `window.siteTestErrors = []; addEventListener("error", (e) => siteTestErrors.push(String(e.message)));`})
			return err
		}),
		chromedp.Navigate(origin+"/"),
		chromedp.WaitVisible(chromedp.ID("files")))
	if err != nil {
		t.Fatalf("open %s: %v", origin, err)
	}
	t.Logf("page open after %s", time.Since(start).Round(time.Millisecond))
	look := func(what string) shown {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[shown](readShown))
		if err != nil {
			t.Fatalf("%s: read the page: %v", what, err)
		}
		if len(s.Errors) > 0 {
			t.Errorf("%s: script errors %q", what, s.Errors)
		}
		return s
	}
	// want checks the choice and its one file (or the first of several).
	want := func(what string, s shown, arch, stream, version, typ string, compressed bool, f fake, href string) {
		t.Helper()
		if s.Arch != arch || s.Stream != stream || s.Version != version || s.Type != typ || s.Compressed != compressed {
			t.Errorf("%s: choice = %s %s %s %s compressed=%v, want %s %s %s %s %v", what, s.Arch, s.Stream, s.Version, s.Type, s.Compressed, arch, stream, version, typ, compressed)
		}
		if len(s.Rows) == 0 {
			t.Fatalf("%s: no file shown", what)
		}
		r := s.Rows[0]
		if r.Name != f.name || r.Href != href || r.SHA != f.sha() || r.Role != f.role {
			t.Errorf("%s: file = %s %s %s %s, want %s %s %s %s", what, r.Role, r.Name, r.Href, r.SHA, f.role, f.name, href, f.sha())
		}
		if !strings.Contains(s.Verify, "echo '"+f.sha()+"  "+f.name+"' | sha256sum -c") {
			t.Errorf("%s: verify commands lack the sha256sum -c line of %s:\n%s", what, f.name, s.Verify)
		}
	}
	artifact := func(f fake) string { return origin + "/artifacts/" + f.name }

	// 1. The page opens on the newest sisyphus x86_64 ISO, with its size and signature.
	iso := find(t, "sisyphus", newRel, "x86_64", "iso", "disk")
	s := look("open")
	want("open", s, "x86_64", "sisyphus", newRel, "metal/iso", false, iso, artifact(iso))
	if r := s.Rows[0]; r.Size != humanSize(int64(len(iso.data))) || r.Sig != artifact(iso)+".sig" {
		t.Errorf("open: size, signature = %q, %q, want %q, %q", r.Size, r.Sig, humanSize(int64(len(iso.data))), artifact(iso)+".sig")
	}
	if v := "gpg --verify " + iso.name + ".sig " + iso.name; !strings.Contains(s.Verify, v) {
		t.Errorf("open: verify commands lack %q:\n%s", v, s.Verify)
	}

	// 2. Each picker changes the file shown.
	qcow := find(t, "sisyphus", newRel, "x86_64", "qcow2", "disk")
	xz := find(t, "sisyphus", newRel, "x86_64", "qcow2.xz", "disk")
	steps := []struct {
		what   string
		action chromedp.Action[chromedp.Void]
		check  func(string, shown)
	}{
		{"image qcow2", choose("type", "qemu/qcow2"), func(w string, s shown) {
			want(w, s, "x86_64", "sisyphus", newRel, "qemu/qcow2", false, qcow, artifact(qcow))
		}},
		{"compressed", chromedp.Click(chromedp.ID("compressed")), func(w string, s shown) {
			want(w, s, "x86_64", "sisyphus", newRel, "qemu/qcow2", true, xz, artifact(xz))
			if s.Rows[0].USHA != "uncompressed: "+qcow.sha() || !strings.Contains(s.Verify, "xz -dk "+xz.name) {
				t.Errorf("%s: uncompressed sha256 %q, verify:\n%s", w, s.Rows[0].USHA, s.Verify)
			}
		}},
		{"older version", choose("version", oldRel), func(w string, s shown) {
			f := find(t, "sisyphus", oldRel, "x86_64", "qcow2.xz", "disk")
			want(w, s, "x86_64", "sisyphus", oldRel, "qemu/qcow2", true, f, artifact(f))
		}},
		{"arch aarch64", choose("arch", "aarch64"), func(w string, s shown) {
			// The older release has no aarch64 build: the newest is picked.
			f := find(t, "sisyphus", newRel, "aarch64", "qcow2.xz", "disk")
			want(w, s, "aarch64", "sisyphus", newRel, "qemu/qcow2", true, f, artifact(f))
		}},
		{"image pxe", choose("type", "metal/pxe"), func(w string, s shown) {
			f := find(t, "sisyphus", newRel, "aarch64", "pxe", "kernel")
			want(w, s, "aarch64", "sisyphus", newRel, "metal/pxe", false, f, artifact(f))
			if len(s.Rows) != 3 || s.Rows[1].Role != "initramfs" || s.Rows[2].Role != "rootfs" {
				t.Errorf("%s: rows = %+v, want kernel, initramfs, rootfs", w, s.Rows)
			}
		}},
		{"image deploy archive", choose("type", "metal/deploy.tar.zst"), func(w string, s shown) {
			f := find(t, "sisyphus", newRel, "aarch64", "deploy.tar.zst", "disk")
			want(w, s, "aarch64", "sisyphus", newRel, "metal/deploy.tar.zst", false, f, artifact(f))
		}},
		{"arch x86_64", choose("arch", "x86_64"), func(w string, s shown) {
			f := find(t, "sisyphus", newRel, "x86_64", "deploy.tar.zst", "disk")
			want(w, s, "x86_64", "sisyphus", newRel, "metal/deploy.tar.zst", false, f, artifact(f))
		}},
		{"stream p10", chromedp.Steps(choose("type", "qemu/qcow2"), choose("stream", "p10")), func(w string, s shown) {
			// p10 has the compressed QCOW2 only, at a bare name; its size comes from the server.
			f := find(t, "p10", p10Rel, "x86_64", "qcow2.xz", "disk")
			want(w, s, "x86_64", "p10", p10Rel, "qemu/qcow2", true, f, artifact(f))
			if !s.UncompressedDisabled || s.Rows[0].Sig != "" || !strings.Contains(s.Verify, "no signature published") {
				t.Errorf("%s: uncompressed disabled %v, signature %q, verify:\n%s", w, s.UncompressedDisabled, s.Rows[0].Sig, s.Verify)
			}
		}},
	}
	for _, st := range steps {
		if err := chromedp.Do(ctx, st.action); err != nil {
			t.Fatalf("%s: %v", st.what, err)
		}
		st.check(st.what, look(st.what))
	}
	p10 := find(t, "p10", p10Rel, "x86_64", "qcow2.xz", "disk")
	size, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => { const s = document.querySelector("#files .size").textContent; return s !== "unknown" && s })()`,
		chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil || size != humanSize(int64(len(p10.data))) {
		t.Errorf("p10 size = %q, %v, want %q (from a HEAD request)", size, err, humanSize(int64(len(p10.data))))
	}

	// 3. The links download what the page says: the browser saves the file
	// of a click (p10's, then sisyphus's ISO) and its sha256 is the one shown.
	download := func(what string, f fake) {
		t.Helper()
		progress := chromedp.Events(ctx, browser.DownloadProgress)
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#files a.file"))); err != nil {
			t.Fatalf("%s: click the link: %v", what, err)
		}
		for ev, err := range progress {
			if err != nil {
				t.Fatalf("%s: download: %v", what, err)
			}
			if ev.State == browser.DownloadProgressStateCanceled {
				t.Fatalf("%s: download canceled", what)
			}
			if ev.State != browser.DownloadProgressStateCompleted {
				continue
			}
			data, err := os.ReadFile(filepath.Join(downloads, ev.GUID))
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			sum := sha256.Sum256(data)
			if got := hex.EncodeToString(sum[:]); got != look(what).Rows[0].SHA || got != f.sha() {
				t.Errorf("%s: downloaded sha256 %s, page shows %s, want %s", what, got, look(what).Rows[0].SHA, f.sha())
			}
			return
		}
	}
	err = chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: ptr(true)})
		return err
	}))
	if err != nil {
		t.Fatal(err)
	}
	download("p10 qcow2.xz", p10)
	if err := chromedp.Do(ctx, choose("stream", "sisyphus"), choose("type", "metal/iso")); err != nil {
		t.Fatal(err)
	}
	download("sisyphus iso", iso)
	sig, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(document.querySelector("#files a.sig").href).then((r) => r.text())`, chromedp.EvalAwaitPromise))
	if err != nil || sig != "signature of "+iso.name {
		t.Errorf("the signature link gives %q, %v, want the .sig file", sig, err)
	}

	// 4. Screenshots of two choices, for a human to look at.
	dir, _ := filepath.Abs(filepath.Join("..", "..", "out", "site-test"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	screenshot := func(name string, choice ...chromedp.Action[chromedp.Void]) string {
		t.Helper()
		if err := chromedp.Do(ctx, choice...); err != nil {
			t.Fatal(err)
		}
		look(name)
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name+".png")
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	shot := screenshot("download-page", choose("type", "qemu/qcow2"), chromedp.Click(chromedp.ID("compressed")))
	screenshot("download-page-pxe", choose("type", "metal/pxe"))
	t.Logf("screenshot %s; the browser test took %s", shot, time.Since(start).Round(time.Millisecond))
}

func ptr[T any](v T) *T { return &v }
