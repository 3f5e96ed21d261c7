package updatecli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/altcos/altcos-tools/internal/stdio"
	"github.com/altcos/altcos-tools/ostree"
	"github.com/altcos/altcos-tools/updates/agent"
)

// runKargs is `altcos-update kargs [--append=K=V] [--delete=K=V]
// [--replace=K=V|K=OLD=NEW] [--reboot]`, as `rpm-ostree kargs`: without
// edits it prints the default deployment's kernel arguments; with edits it
// writes a new deployment of the default's commit and origin whose boot
// entry has the changed arguments (it boots next); the booted deployment
// keeps its own. ostree 2022.7's `admin deploy --karg/--karg-append/
// --karg-delete` does the editing, starting from its merge deployment's
// arguments: the booted deployment's on a running system, the default's on
// a sysroot that is not booted.
func runKargs(ctx context.Context, e *env, args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	sys := e.system()
	ds, err := sys.Deployments(ctx)
	if err != nil {
		return err
	}
	def := ds[0]
	if e.kargs.Empty() {
		ks, err := sys.Sysroot.DeploymentKargs(def)
		if err != nil {
			return err
		}
		fmt.Fprintln(e.io.Out, strings.Join(ks, " "))
		return nil
	}
	o := ostree.DeployOptions{OSName: def.OSName, Refspec: def.Checksum,
		OriginFile: filepath.Join(sys.Sysroot.Path, def.OriginPath()), Stage: agent.Booted(ds) != nil}
	if err := e.kargs.Apply(&o); err != nil {
		return &stdio.UsageError{Msg: err.Error()}
	}
	if err := sys.Sysroot.Deploy(ctx, o); err != nil {
		return fmt.Errorf("deploy %s with new kernel arguments: %w", def.Version, err)
	}
	after, err := sys.Deployments(ctx)
	if err != nil {
		return err
	}
	if after[0].Staged {
		// A staged deployment gets its boot entry at shutdown.
		fmt.Fprintf(e.io.Out, "kernel arguments of %s changed in a staged deployment; they apply at the next boot\n", after[0].Version)
		return e.rebootIfAsked(ctx)
	}
	ks, err := sys.Sysroot.DeploymentKargs(after[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(e.io.Out, "kernel arguments of %s changed; they apply at the next boot: %s\n", after[0].Version, strings.Join(ks, " "))
	return e.rebootIfAsked(ctx)
}
