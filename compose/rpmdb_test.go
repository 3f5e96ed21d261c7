package compose

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
	"github.com/altcos/altcos-tools/ostree"
)

func TestParseRpmQuery(t *testing.T) {
	out := "bash\t0:5.2.15-alt1\nkernel-image-un-def\t1:6.1.99-alt1\nkernel-image-un-def\t1:6.1.98-alt1\n\n"
	got, err := parseRpmQuery(out)
	want := Packages{"bash": "0:5.2.15-alt1", "kernel-image-un-def": "1:6.1.98-alt1 1:6.1.99-alt1"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("parseRpmQuery() = %v, %v, want %v", got, err, want)
	}
	for _, bad := range []string{"garbage\n", "bash\t5.2-alt1\n", "\t0:1-1\n", "a\t0:1-1\tx\n"} {
		if got, err := parseRpmQuery(bad); err == nil {
			t.Errorf("parseRpmQuery(%q) = %v, want an error", bad, got)
		}
	}
}

func TestRpmQueryArgs(t *testing.T) {
	for file, backend := range map[string]string{"rpmdb.sqlite": "sqlite", "Packages": "bdb_ro"} {
		got, err := rpmQueryArgs("/db", file)
		want := []string{"rpm", "--dbpath", "/db", "--define", "_db_backend " + backend, "-qa", "--queryformat", rpmQueryFormat}
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("rpmQueryArgs(/db, %s) = %q, %v, want %q", file, got, err, want)
		}
	}
	for _, file := range []string{"Packages.db", "status"} {
		if got, err := rpmQueryArgs("/db", file); err == nil {
			t.Errorf("rpmQueryArgs(/db, %s) = %q, want an error", file, got)
		}
	}
}

// rpmBuilder builds tiny noarch rpm packages (no files, no scripts) with the
// host's rpmbuild, once per name and version.
type rpmBuilder struct {
	top   string
	built map[string]string
}

// build returns the path of the package name at evr ("[epoch:]version-release").
func (b *rpmBuilder) build(t *testing.T, ctx context.Context, name, evr string) string {
	t.Helper()
	if p, ok := b.built[name+" "+evr]; ok {
		return p
	}
	epoch, vr, ok := strings.Cut(evr, ":")
	if !ok {
		epoch, vr = "", evr
	}
	ver, rel, _ := strings.Cut(vr, "-")
	spec := fmt.Sprintf("Name: %s\nVersion: %s\nRelease: %s\nSummary: %s\nLicense: none\nBuildArch: noarch\n", name, ver, rel, name)
	if epoch != "" {
		spec += "Epoch: " + epoch + "\n"
	}
	spec += "%description\n" + name + " for the tests\n%files\n"
	specFile := filepath.Join(b.top, name+"-"+vr+".spec")
	writeFile(t, specFile, spec, 0o644)
	if err := run.Run(ctx, nil, run.Cmd{Argv: []string{"rpmbuild", "--quiet", "-bb", "--define", "_topdir " + b.top, specFile}}); err != nil {
		t.Fatalf("rpmbuild %s: %v", specFile, err)
	}
	p := filepath.Join(b.top, "RPMS/noarch", name+"-"+vr+".noarch.rpm")
	b.built[name+" "+evr] = p
	return p
}

// rpmTree makes the fake tree of defaultFake with an rpm database holding
// pkgs (name -> [epoch:]version-release) instead of dpkg's, as rpm closes
// it: rpmdb.sqlite alone.
func (b *rpmBuilder) tree(t *testing.T, ctx context.Context, root string, pkgs map[string]string) {
	t.Helper()
	f := defaultFake()
	f.pkgs = nil
	f.make(t, root)
	if err := os.RemoveAll(filepath.Join(root, "var/lib/dpkg")); err != nil {
		t.Fatal(err)
	}
	argv := []string{"rpm", "--root", root, "--dbpath", "/var/lib/rpm", "-i", "--nodeps", "--noscripts", "--force-debian"}
	for _, n := range Packages(pkgs).Names() {
		argv = append(argv, b.build(t, ctx, n, pkgs[n]))
	}
	if err := run.Run(ctx, nil, run.Cmd{Argv: argv}); err != nil {
		t.Fatalf("install the rpm packages into %s: %v", root, err)
	}
	for _, f := range []string{"rpmdb.sqlite-shm", "rpmdb.sqlite-wal", ".rpm.lock"} {
		if err := os.Remove(filepath.Join(root, "var/lib/rpm", f)); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
}

// dbFiles lists the files of the rpm database folder of the tree at root.
func dbFiles(t *testing.T, root string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(root, "var/lib/rpm"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// TestComposeRpmTree runs compose itself on a fake tree whose package
// database is rpm's (sqlite, made by the host's rpm from packages this test
// builds): the versions follow the same rules as for dpkg trees, compose
// never writes into the given tree's database, and the commit keeps the
// database in /usr/lib/sysimage/rpm.
func TestComposeRpmTree(t *testing.T) {
	tooltest.Root(t)
	tooltest.Tools(t, slices.Concat(slices.DeleteFunc(slices.Clone(composeTools), func(s string) bool { return s == "dpkg-query" }), []string{"rpm", "rpmbuild"})...)
	ctx := context.Background()
	b := &rpmBuilder{top: t.TempDir(), built: map[string]string{}}
	repo := filepath.Join(t.TempDir(), "repo")
	r := &ostree.Repo{Path: repo}
	ref := altcos.Ref(altcos.DefaultArch, "sisyphus")

	composeRpm := func(pkgs map[string]string, date, want string, created bool) Result {
		t.Helper()
		tree := filepath.Join(t.TempDir(), "tree")
		b.tree(t, ctx, tree, pkgs)
		before := dbFiles(t, tree)
		res, err := Run(ctx, Options{Repo: repo, Stream: "sisyphus", Tree: tree, OSFiles: osfilesDir(t), Time: day(date)})
		if err != nil {
			t.Fatalf("Run(%v, %s) error %v", pkgs, date, err)
		}
		if res.Version != want || res.Created != created {
			t.Fatalf("Run(%v, %s) = %s (created %v, %v), want %s (created %v)", pkgs, date, res.Version, res.Created, res.Change, want, created)
		}
		if after := dbFiles(t, tree); !slices.Equal(after, before) {
			t.Errorf("Run() changed the tree's rpm database folder: %q, was %q", after, before)
		}
		return res
	}

	base := map[string]string{"bash": "5.2.15-alt1", "ignition": "2.19.0-alt1", "kernel-image-un-def": "1:6.1.99-alt1"}
	first := composeRpm(base, "20261125", "sisyphus.20261125.0.0", true)
	if first.IgnitionSpec != "3.4.0" || first.Packages != 3 {
		t.Errorf("Run() = Ignition spec %s, %d packages, want 3.4.0 (ignition 2.19), 3", first.IgnitionSpec, first.Packages)
	}
	manifest := Packages{"bash": "0:5.2.15-alt1", "ignition": "0:2.19.0-alt1", "kernel-image-un-def": "1:6.1.99-alt1"}.Encode()
	if got, err := r.Metadata(ctx, ref, altcos.MetaManifest); err != nil || got != manifest {
		t.Errorf("Metadata(%s) = %s, %v, want %s", altcos.MetaManifest, got, err, manifest)
	}
	paths, err := r.Ls(ctx, ref, true, "/usr/lib/sysimage", "/var")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(paths, "/usr/lib/sysimage/rpm/rpmdb.sqlite") || slices.Contains(paths, "/var/lib/rpm") ||
		slices.Contains(paths, "/usr/lib/sysimage/dpkg") {
		t.Errorf("ostree ls %s = %q, want the rpm database in /usr/lib/sysimage/rpm only", ref, paths)
	}
	var tmpfiles strings.Builder
	if err := r.Cat(ctx, ref, "/usr/lib/tmpfiles.d/altcos-var.conf", &tmpfiles); err != nil ||
		!strings.Contains(tmpfiles.String(), "L /var/lib/rpm - - - - /usr/lib/sysimage/rpm") {
		t.Errorf("altcos-var.conf = %q, %v, want the link /var/lib/rpm -> /usr/lib/sysimage/rpm", tmpfiles.String(), err)
	}

	// Nothing changed: no commit.
	composeRpm(base, "20261126", "sisyphus.20261125.0.0", false)

	bumped := map[string]string{"bash": "5.2.15-alt2", "ignition": "2.19.0-alt1", "kernel-image-un-def": "1:6.1.99-alt1"}
	minor := composeRpm(bumped, "20261126", "sisyphus.20261125.0.1", true)
	if minor.Change != VersionsChanged || minor.Parent != first.Commit {
		t.Errorf("Run(bash bumped) = %v on %s, want %v on %s", minor.Change, minor.Parent, VersionsChanged, first.Commit)
	}

	added := map[string]string{"bash": "5.2.15-alt2", "ignition": "2.19.0-alt1", "kernel-image-un-def": "1:6.1.99-alt1", "podman": "4.9.5-alt1"}
	major := composeRpm(added, "20261127", "sisyphus.20261127.1.0", true)
	if major.Change != SetChanged || major.Parent != minor.Commit {
		t.Errorf("Run(podman added) = %v on %s, want %v on %s", major.Change, major.Parent, SetChanged, minor.Commit)
	}
}

// TestReadPackagesBerkeleyDB reads an rpm database in ALT's format,
// BerkeleyDB (a hash database, Packages), with the host's rpm and its
// read-only bdb_ro backend: the headers of a database the host's rpm made
// (rpmdb --exportdb) are loaded into a hash database by libdb's db_load, keyed
// by instance number, as rpm's bdb backend stores them.
func TestReadPackagesBerkeleyDB(t *testing.T) {
	tooltest.Root(t)
	tooltest.Tools(t, "rpm", "rpmbuild", "rpmdb", "db5.3_load", "busybox")
	ctx := context.Background()
	b := &rpmBuilder{top: t.TempDir(), built: map[string]string{}}
	pkgs := map[string]string{"bash": "5.2.15-alt1", "ignition": "2.19.0-alt1", "kernel-image-un-def": "1:6.1.99-alt1", "podman": "4.9.5-alt1"}
	root := filepath.Join(t.TempDir(), "tree")
	b.tree(t, ctx, root, pkgs)
	dbDir := filepath.Join(root, "var/lib/rpm")

	exported, err := run.Output(ctx, nil, run.Cmd{Argv: []string{"rpmdb", "--dbpath", dbDir, "--exportdb"}})
	if err != nil {
		t.Fatal(err)
	}
	var load strings.Builder
	hex := func(b []byte) {
		for _, c := range b {
			fmt.Fprintf(&load, `\%02x`, c)
		}
		load.WriteByte('\n')
	}
	magic := []byte{0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0}
	for n := uint32(1); len(exported) > 0; n++ {
		if len(exported) < 16 || !bytes.Equal(exported[:8], magic) {
			t.Fatalf("rpmdb --exportdb: header %d does not start with the header magic", n)
		}
		il, dl := binary.BigEndian.Uint32(exported[8:]), binary.BigEndian.Uint32(exported[12:])
		end := 16 + 16*int(il) + int(dl)
		hex(binary.LittleEndian.AppendUint32(nil, n)) // the instance number, host order
		hex(exported[8:end])                          // the header blob, without the magic
		exported = exported[end:]
	}
	loadFile := filepath.Join(t.TempDir(), "load.txt")
	writeFile(t, loadFile, load.String(), 0o644)
	if err := os.RemoveAll(dbDir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dbDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := run.Run(ctx, nil, run.Cmd{Argv: []string{"db5.3_load", "-T", "-t", "hash", "-f", loadFile, filepath.Join(dbDir, "Packages")}}); err != nil {
		t.Fatal(err)
	}

	got, err := ReadPackages(ctx, nil, root)
	want := Packages{"bash": "0:5.2.15-alt1", "ignition": "0:2.19.0-alt1", "kernel-image-un-def": "1:6.1.99-alt1", "podman": "0:4.9.5-alt1"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ReadPackages(BerkeleyDB tree) = %v, %v, want %v", got, err, want)
	}
	if files := dbFiles(t, root); !slices.Equal(files, []string{"Packages"}) {
		t.Errorf("ReadPackages() left %q in the database folder, want Packages alone", files)
	}
}

// Trees without a database ReadPackages reads say what compose looks for
// (no tool runs).
func TestReadPackagesNoDatabase(t *testing.T) {
	root := t.TempDir()
	_, err := ReadPackages(context.Background(), nil, root)
	if err == nil || !strings.Contains(err.Error(), "/var/lib/rpm/rpmdb.sqlite or Packages") || !strings.Contains(err.Error(), "/var/lib/dpkg/status") {
		t.Errorf("ReadPackages(empty tree) = %v, want the database files it looks for", err)
	}
	writeFile(t, filepath.Join(root, "var/lib/rpm/Packages.db"), "", 0o644)
	_, err = ReadPackages(context.Background(), nil, root)
	if err == nil || !strings.Contains(err.Error(), "/var/lib/rpm/Packages.db") || !strings.Contains(err.Error(), "rpmdb --rebuilddb") {
		t.Errorf("ReadPackages(ndb tree) = %v, want the file and how to convert it", err)
	}
}
