package stream

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	fcosrelease "github.com/coreos/stream-metadata-go/release"
	fcosstream "github.com/coreos/stream-metadata-go/stream"
)

// strict decodes data into v the way a careful consumer does: unknown
// fields are errors.
func strict(t *testing.T, data []byte, v any) {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		t.Fatalf("strict decode into %T: %v\n%s", v, err, data)
	}
}

// TestConsumerReadsStream: the stream metadata decodes strictly into
// stream-metadata-go's types (Fedora CoreOS's own reader), with absolute
// locations, signature URLs for the signed files, the qemu QCOW2 and its
// .xz with uncompressed-sha256, the PXE rootfs .xz, and the metal deploy
// archive; its helpers find the artifacts.
func TestConsumerReadsStream(t *testing.T) {
	dir := t.TempDir()
	content := map[string]string{
		"live.iso": "iso", "k": "kernel", "i.img": "initramfs", "r.img": "rootfs", "r.img.xz": "rootfs-xz",
		"d.qcow2": "qcow2", "d.qcow2.xz": "qcow2-xz", "deploy.tar.zst": "archive",
	}
	for n, c := range content {
		os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644)
	}
	for _, n := range []string{"live.iso", "d.qcow2.xz", "deploy.tar.zst"} {
		os.WriteFile(filepath.Join(dir, n+".sig"), []byte("sig"), 0o644)
	}
	p := func(n string) string { return filepath.Join(dir, n) }
	m, err := Make(Options{
		Stream: "sisyphus", Release: "sisyphus.20261125.0.0", BaseURL: "https://altcos.example/builds",
		Modified: time.Unix(1795000000, 0),
		Files: []File{
			{Platform: "metal", Format: "iso", Role: "disk", Path: p("live.iso")},
			{Platform: "metal", Format: "tar.zst", Role: "disk", Path: p("deploy.tar.zst")},
			{Platform: "metal", Format: "pxe", Role: "kernel", Path: p("k")},
			{Platform: "metal", Format: "pxe", Role: "initramfs", Path: p("i.img")},
			{Platform: "metal", Format: "pxe", Role: "rootfs", Path: p("r.img")},
			{Platform: "metal", Format: "pxe.xz", Role: "rootfs", Path: p("r.img.xz"), Uncompressed: p("r.img")},
			{Platform: "qemu", Format: "qcow2", Role: "disk", Path: p("d.qcow2")},
			{Platform: "qemu", Format: "qcow2.xz", Role: "disk", Path: p("d.qcow2.xz"), Uncompressed: p("d.qcow2")},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	out := p("sisyphus.json")
	if err := Write(out, m); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(out)
	var s fcosstream.Stream
	strict(t, data, &s)
	sum := func(c string) string { return fmt.Sprintf("%x", sha256.Sum256([]byte(c))) }

	arch, err := s.GetArchitecture("x86_64")
	if err != nil {
		t.Fatal(err)
	}
	qemu := arch.Artifacts["qemu"]
	if qemu.Release != "sisyphus.20261125.0.0" {
		t.Errorf("qemu release = %q", qemu.Release)
	}
	want := fcosstream.Artifact{
		Location:           "https://altcos.example/builds/d.qcow2.xz",
		Signature:          "https://altcos.example/builds/d.qcow2.xz.sig",
		Sha256:             sum("qcow2-xz"),
		UncompressedSha256: sum("qcow2"),
	}
	if got := qemu.Formats["qcow2.xz"].Disk; got == nil || *got != want {
		t.Errorf("qemu qcow2.xz disk = %+v, want %+v", got, want)
	}
	metal := arch.Artifacts["metal"]
	if got := metal.Formats["pxe.xz"].Rootfs; got == nil || got.UncompressedSha256 != sum("rootfs") || got.Sha256 != sum("rootfs-xz") || got.Signature != "" {
		t.Errorf("metal pxe.xz rootfs = %+v, want the xz's and the rootfs's sha256, no signature", got)
	}
	if got := metal.Formats["tar.zst"].Disk; got == nil || got.Location != "https://altcos.example/builds/deploy.tar.zst" || got.Signature != got.Location+".sig" {
		t.Errorf("metal deploy archive = %+v, want its location and signature", got)
	}
	if got := metal.Formats["iso"].Disk; got == nil || got.Signature != "https://altcos.example/builds/live.iso.sig" {
		t.Errorf("metal iso = %+v, want a signature URL", got)
	}
	// A consumer's helper: the stream's QCOW2 for this architecture.
	if q, err := s.QueryDisk("x86_64", "qemu", "qcow2.xz"); err != nil || q.Location != want.Location {
		t.Errorf("QueryDisk(qemu qcow2.xz) = %+v, %v", q, err)
	}

	if _, err := Make(Options{Stream: "s", Release: "r", BaseURL: "builds/", Files: []File{{Platform: "metal", Format: "iso", Role: "disk", Path: p("live.iso")}}}); err == nil {
		t.Errorf("Make(relative base URL) = nil error, want a refusal")
	}
	if _, err := Make(Options{Stream: "s", Release: "r", Files: []File{{Platform: "metal", Format: "iso", Role: "image", Path: p("live.iso")}}}); err == nil {
		t.Errorf("Make(role image) = nil error, want a refusal")
	}
}

// TestReleaseIndex: releases.json keeps every release oldest first, a
// rebuilt release replaces its commit, it round-trips, and it decodes
// strictly into stream-metadata-go's release.Index.
func TestReleaseIndex(t *testing.T) {
	path := filepath.Join(t.TempDir(), IndexName)
	ix, err := ReadIndex(path, "sisyphus")
	if err != nil || len(ix.Releases) != 0 {
		t.Fatalf("ReadIndex(missing) = %+v, %v, want an empty index", ix, err)
	}
	c := func(n byte) string { return string(bytes.Repeat([]byte{n}, 64)) }
	now := time.Unix(1795000000, 0)
	ix.Add(IndexRelease{Version: "sisyphus.20261125.0.0", Commits: []Commit{{"x86_64", c('a')}}, MetadataURL: "https://b/releases/sisyphus.20261125.0.0.json"}, now)
	ix.Add(IndexRelease{Version: "sisyphus.20261126.0.0", Commits: []Commit{{"x86_64", c('b')}}, MetadataURL: "https://b/releases/sisyphus.20261126.0.0.json"}, now)
	ix.Add(IndexRelease{Version: "sisyphus.20261126.0.0", Commits: []Commit{{"x86_64", c('c')}, {"aarch64", c('d')}}, MetadataURL: "https://b/releases/sisyphus.20261126.0.0.json"}, now)
	if err := WriteIndex(path, ix); err != nil {
		t.Fatal(err)
	}
	back, err := ReadIndex(path, "sisyphus")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, ix) {
		t.Errorf("round trip = %+v, want %+v", back, ix)
	}
	vs, cs := back.Checksums("x86_64")
	if !reflect.DeepEqual(vs, []string{"sisyphus.20261125.0.0", "sisyphus.20261126.0.0"}) || !reflect.DeepEqual(cs, []string{c('a'), c('c')}) {
		t.Errorf("Checksums(x86_64) = %v %v, want both releases, the rebuilt one's new commit", vs, cs)
	}
	data, _ := os.ReadFile(path)
	var fi fcosrelease.Index
	strict(t, data, &fi)
	if len(fi.Releases) != 2 || fi.Releases[1].Commits[0].Checksum != c('c') || fi.Stream != "sisyphus" || fi.Metadata.LastModified != "2026-11-18T11:06:40Z" {
		t.Errorf("release.Index = %+v", fi)
	}
	if _, err := ReadIndex(path, "p10"); err == nil {
		t.Errorf("ReadIndex(other stream) = nil error, want a refusal")
	}
}
