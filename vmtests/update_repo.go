package vmtests

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/ostree"
	"github.com/altcos/altcos-tools/updates/graph"
)

// release is one release of the scenario's stream.
type release struct {
	Version string
	Commit  string
}

// updateRepo is the scenario's repository and update graph: a fresh archive
// repo holding v1 (pulled from the artifacts' repo without its history,
// whose older commits may repeat versions) and the releases add commits on
// its ref, each published at once (summary and graph, as `altcos-build
// graph` writes it).
type updateRepo struct {
	env      *Env
	repo     *ostree.Repo
	Dir      string // the repository, served at /repo/
	GraphDir string // the graphs, served at /v1/graph
	ref      string
	// key and homedir sign the releases: the key the OS trusts.
	key, homedir string
}

// newUpdateRepo makes the repository of v1 under env.Out and its graph.
func newUpdateRepo(ctx context.Context, env *Env, src string, v1 deployed, key, homedir string) (*updateRepo, error) {
	u := &updateRepo{env: env, Dir: filepath.Join(env.Out, "repo"), GraphDir: filepath.Join(env.Out, "graph"), ref: v1.Ref, key: key, homedir: homedir}
	if err := os.RemoveAll(u.Dir); err != nil {
		return nil, err
	}
	srcRepo := &ostree.Repo{Path: src, Log: env.Log}
	if _, err := srcRepo.RevParse(ctx, v1.Commit); err != nil {
		return nil, skipf("the repository %s does not hold the installed commit %s (%s): give the repo the QCOW2 was built from (ALTCOS_VMTEST_REPO)", src, short(v1.Commit), v1.Version)
	}
	u.repo = &ostree.Repo{Path: u.Dir, Log: env.Log}
	if err := u.repo.Init(ctx, "archive"); err != nil {
		return nil, err
	}
	// A local pull hardlinks the objects: seconds, not a copy of the OS.
	if err := run.Run(ctx, env.Log, run.Cmd{Argv: ostree.RepoArgs(u.Dir, "pull-local", src, v1.Commit)}); err != nil {
		return nil, fmt.Errorf("copy %s from %s: %w", short(v1.Commit), src, err)
	}
	if err := u.repo.SetRef(ctx, v1.Ref, v1.Commit); err != nil {
		return nil, err
	}
	return u, u.publish(ctx)
}

// add commits the next release after parent on the ref: parent's tree plus
// releaseMarker, files (path -> contents) and os-release naming the new
// version (the boot menu titles come from it), with parent's metadata and
// the version's minor number bumped; signed unless unsigned is set. It is
// published at once.
func (u *updateRepo) add(ctx context.Context, parent release, files map[string]string, unsigned bool) (release, error) {
	var r release
	ver, err := altcos.ParseVersion(parent.Version)
	if err != nil {
		return r, fmt.Errorf("parent release: %w", err)
	}
	ver.Minor++
	r.Version = ver.String()
	var osRelease strings.Builder
	if err := u.repo.Cat(ctx, parent.Commit, "/usr/lib/os-release", &osRelease); err != nil {
		return r, err
	}
	layer := filepath.Join(u.env.Out, "layer-"+r.Version)
	_ = os.RemoveAll(layer)
	all := map[string]string{releaseMarker: r.Version + "\n", "/usr/lib/os-release": strings.ReplaceAll(osRelease.String(), parent.Version, r.Version)}
	for p, c := range files {
		all[p] = c
	}
	for p, c := range all {
		f := filepath.Join(layer, p)
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			return r, err
		}
		if err := os.WriteFile(f, []byte(c), 0o644); err != nil {
			return r, err
		}
	}
	args := []string{"--branch=" + u.ref, "--parent=" + parent.Commit, "--bootable", "--subject=" + r.Version}
	for _, k := range []string{altcos.MetaStream, altcos.MetaManifest, altcos.MetaIgnitionSpec, altcos.MetaKernel, altcos.MetaOSFiles} {
		v, err := u.repo.Metadata(ctx, parent.Commit, k)
		if errors.Is(err, ostree.ErrNoMetadata) {
			continue
		}
		if err != nil {
			return r, err
		}
		args = append(args, "--add-metadata-string="+k+"="+v)
	}
	args = append(args, "--add-metadata-string="+altcos.MetaVersion+"="+r.Version, "--tree=ref="+parent.Commit, "--tree=dir="+layer)
	out, err := run.Output(ctx, u.env.Log, run.Cmd{Argv: ostree.RepoArgs(u.Dir, "commit", args...)})
	if err != nil {
		return r, fmt.Errorf("commit %s: %w", r.Version, err)
	}
	r.Commit = strings.TrimSpace(string(out))
	if !ostree.IsChecksum(r.Commit) {
		return r, fmt.Errorf("ostree commit printed %q, want a checksum", r.Commit)
	}
	if !unsigned {
		if err := u.repo.GPGSign(ctx, r.Commit, u.key, u.homedir); err != nil {
			return r, fmt.Errorf("sign %s: %w", r.Version, err)
		}
	}
	return r, u.publish(ctx)
}

// publish updates the summary and the stream's graph.
func (u *updateRepo) publish(ctx context.Context) error {
	if err := u.repo.SummaryUpdate(ctx); err != nil {
		return err
	}
	arch, stream := refParts(u.ref)
	_, _, err := graph.WriteFromRepo(ctx, u.Dir, arch, stream, u.GraphDir, nil)
	return err
}

// refParts splits altcos/<arch>/<stream>.
func refParts(ref string) (arch, stream string) {
	p := strings.Split(ref, "/")
	if len(p) != 3 {
		return altcos.DefaultArch, ref
	}
	return p[1], p[2]
}

// serveUpdates serves repo at /repo/ and the graphs in graphDir at /v1/graph
// on updateListen, as `altcos-build serve` does.
func serveUpdates(repo, graphDir string) (stop func(), err error) {
	ln, err := net.Listen("tcp", updateListen)
	if err != nil {
		return nil, fmt.Errorf("serve the updates on %s (the guest's 10.0.2.2:8080): %w; is another `altcos-build serve` or update test running?", updateListen, err)
	}
	srv := &http.Server{Handler: graph.Handler(repo, graphDir), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return func() { _ = srv.Close() }, nil
}
