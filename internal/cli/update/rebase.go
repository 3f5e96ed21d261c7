package updatecli

import (
	"context"
	"fmt"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/internal/stdio"
	"github.com/altcos/altcos-tools/ostree"
	"github.com/altcos/altcos-tools/updates/agent"
)

// runRebase is `altcos-update rebase STREAM [--reboot]`: the origin moves
// to altcos:altcos/<arch>/<STREAM>, the stream's head is pulled and deployed
// (it boots next), and from then on the agent, check and upgrade follow
// that stream's graph.
func runRebase(ctx context.Context, e *env, args []string) error {
	if len(args) != 1 {
		return &stdio.UsageError{Msg: "rebase needs one STREAM, e.g. `altcos-update rebase p10`"}
	}
	stream := args[0]
	if err := altcos.ValidateStream(stream); err != nil {
		return &stdio.UsageError{Msg: err.Error()}
	}
	sys := e.system()
	ds, err := sys.Deployments(ctx)
	if err != nil {
		return err
	}
	base := agent.Base(ds)
	origin, err := agent.ParseRefspec(base.Refspec)
	if err != nil {
		return err
	}
	if origin.Stream == stream {
		return fmt.Errorf("the deployment already follows stream %s (%s); `altcos-update upgrade` moves it to the newest release", stream, base.Refspec)
	}
	remote := origin.Remote
	if remote == "" {
		remote = altcos.RemoteName
	}
	ref := altcos.Ref(origin.Arch, stream)
	refspec := remote + ":" + ref
	if err := sys.Sysroot.Pull(ctx, remote, ref); err != nil {
		return fmt.Errorf("stream %s: %w; `ostree remote refs %s` lists the streams the remote has", stream, err, remote)
	}
	repo := &ostree.Repo{Path: sys.Sysroot.RepoPath(), Log: e.log}
	head, err := repo.RevParse(ctx, refspec)
	if err != nil {
		return fmt.Errorf("stream %s: %w", stream, err)
	}
	version, _ := repo.Metadata(ctx, head, altcos.MetaVersion)
	if version == "" {
		version = "commit " + head
	}
	fmt.Fprintf(e.io.Out, "rebasing from %s to %s\n", base.Refspec, refspec)
	if err := apply(ctx, e, refspec, agent.Update{Version: version, Commit: head}); err != nil {
		return err
	}
	return e.rebootIfAsked(ctx)
}
