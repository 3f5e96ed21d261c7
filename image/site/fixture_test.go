package site

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fake is one small artifact file of the test streams.
type fake struct {
	stream, version, arch, platform, format, role, name string
	data                                                []byte
}

func (f fake) sha() string { s := sha256.Sum256(f.data); return hex.EncodeToString(s[:]) }

func commitOf(version, arch string) string {
	s := sha256.Sum256([]byte("commit " + version + " " + arch))
	return hex.EncodeToString(s[:])
}

const (
	oldRel  = "sisyphus.20261101.0.0"
	newRel  = "sisyphus.20261125.0.0"
	p10Rel  = "p10.20261120.0.0"
	updated = "2026-11-25T10:00:00Z"
)

// fakes are the test streams' artifacts: sisyphus in the extended shape
// (absolute locations, signatures, qcow2.xz with uncompressed-sha256, a
// release index of two releases, aarch64 in the newer only), p10 as the
// stream writer writes it today (bare names, no signatures, no index).
func fakes() []fake {
	var fs []fake
	add := func(stream, version, arch, platform, format, role, name string, size int) {
		line := fmt.Sprintf("%s %s %s %s %s\n", version, arch, platform, format, role)
		data := []byte(strings.Repeat(line, size/len(line)+1)[:size])
		fs = append(fs, fake{stream, version, arch, platform, format, role, name, data})
	}
	for i, v := range []string{oldRel, newRel} {
		for _, arch := range []string{"x86_64", "aarch64"} {
			if arch == "aarch64" && v == oldRel {
				continue
			}
			n := func(s string) string { return "altcos-" + v + "-" + s + "." + arch }
			k := 1000 * (i + 1)
			add("sisyphus", v, arch, "metal", "iso", "disk", n("live")+".iso", 7*k+11)
			add("sisyphus", v, arch, "metal", "pxe", "kernel", n("live-vmlinuz"), 3*k+5)
			add("sisyphus", v, arch, "metal", "pxe", "initramfs", n("live-initramfs")+".img", 5*k+1)
			add("sisyphus", v, arch, "metal", "pxe", "rootfs", n("live-rootfs")+".img", 6*k+3)
			add("sisyphus", v, arch, "qemu", "qcow2", "disk", n("qemu")+".qcow2", 9*k+7)
			add("sisyphus", v, arch, "qemu", "qcow2.xz", "disk", n("qemu")+".qcow2.xz", 2*k+9)
			add("sisyphus", v, arch, "metal", "deploy.tar.zst", "disk", n("deploy")+".tar.zst", 4*k+2)
		}
	}
	add("p10", p10Rel, "x86_64", "metal", "iso", "disk", "altcos-"+p10Rel+"-live.x86_64.iso", 1234)
	add("p10", p10Rel, "x86_64", "qemu", "qcow2.xz", "disk", "altcos-"+p10Rel+"-qemu.x86_64.qcow2.xz", 567)
	return fs
}

// find is the fake of stream, version, arch, format and role.
func find(t *testing.T, stream, version, arch, format, role string) fake {
	t.Helper()
	for _, f := range fakes() {
		if f.stream == stream && f.version == version && f.arch == arch && f.format == format && f.role == role {
			return f
		}
	}
	t.Fatalf("no fake %s %s %s %s %s", stream, version, arch, format, role)
	return fake{}
}

// writeFixture writes the fakes into artA (sisyphus, with FILE.sig files)
// and artB (p10), the stream metadata and sisyphus's release index into
// streamDir; sisyphus's locations are URLs under baseURL.
func writeFixture(t *testing.T, streamDir, artA, artB, baseURL string) {
	t.Helper()
	type obj = map[string]any
	archs := map[string]map[string]obj{} // stream/version -> arch -> platform -> platform obj
	for _, f := range fakes() {
		dir, loc, art := artB, f.name, obj{}
		if f.stream == "sisyphus" {
			dir, loc = artA, strings.TrimRight(baseURL, "/")+"/"+f.name
			art["signature"] = loc + ".sig"
			writeFile(t, filepath.Join(dir, f.name+".sig"), []byte("signature of "+f.name))
		}
		writeFile(t, filepath.Join(dir, f.name), f.data)
		art["location"], art["sha256"] = loc, f.sha()
		if f.format == "qcow2.xz" && f.stream == "sisyphus" {
			art["uncompressed-sha256"] = find(t, f.stream, f.version, f.arch, "qcow2", "disk").sha()
		}
		key := f.stream + "/" + f.version
		if archs[key] == nil {
			archs[key] = map[string]obj{}
		}
		if archs[key][f.arch] == nil {
			archs[key][f.arch] = obj{}
		}
		p, _ := archs[key][f.arch][f.platform].(obj)
		if p == nil {
			p = obj{"release": f.version, "formats": obj{}}
			archs[key][f.arch][f.platform] = p
		}
		formats := p["formats"].(obj)
		if formats[f.format] == nil {
			formats[f.format] = obj{}
		}
		formats[f.format].(obj)[f.role] = art
	}
	arches := func(key string) obj {
		o := obj{}
		for a, platforms := range archs[key] {
			o[a] = obj{"artifacts": platforms, "images": obj{"aws": obj{"regions": obj{}}}}
		}
		return o
	}
	meta := obj{"last-modified": updated, "generator": "altcos-build stream"}
	writeJSON(t, filepath.Join(streamDir, "sisyphus.json"), obj{"stream": "sisyphus", "metadata": meta, "architectures": arches("sisyphus/" + newRel)})
	writeJSON(t, filepath.Join(streamDir, "p10.json"), obj{"stream": "p10", "metadata": meta, "architectures": arches("p10/" + p10Rel)})
	var rels []obj
	for _, v := range []string{oldRel, newRel} {
		var commits []obj
		for a := range archs["sisyphus/"+v] {
			commits = append(commits, obj{"architecture": a, "checksum": commitOf(v, a)})
		}
		rels = append(rels, obj{"version": v, "commits": commits, "metadata": "https://example.invalid/" + v + "/release.json",
			"architectures": arches("sisyphus/" + v)})
	}
	writeJSON(t, filepath.Join(streamDir, "sisyphus", "releases.json"), obj{"stream": "sisyphus", "metadata": meta, "releases": rels})
	// Not stream metadata: skipped.
	writeJSON(t, filepath.Join(streamDir, "deploy.json"), obj{"stream": "sisyphus", "version": newRel})
}

func writeFile(t *testing.T, p string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeJSON(t *testing.T, p string, v any) {
	t.Helper()
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, p, data)
}
