package updatecli

import (
	"context"
	"flag"
	"fmt"

	"github.com/altcos/altcos-tools/internal/cli"
	"github.com/altcos/altcos-tools/internal/stdio"
	"github.com/altcos/altcos-tools/updates/agent"
)

// The flags of the commands that have their own, in rpm-ostree's names.

func statusFlags(fs *flag.FlagSet, e *env) {
	fs.BoolVar(&e.json, "json", false, "print JSON")
	fs.BoolVar(&e.booted, "booted", false, "only the booted deployment (on a sysroot that is not booted: the default one)")
}

func checkFlags(fs *flag.FlagSet, e *env) {
	fs.BoolVar(&e.exit77, "unchanged-exit-77", false, "exit with status 77 when no update is offered")
}

func rebootFlag(fs *flag.FlagSet, e *env) {
	fs.BoolVar(&e.reboot, "reboot", false, "reboot once the new default deployment is written")
}

func upgradeFlags(fs *flag.FlagSet, e *env) {
	checkFlags(fs, e)
	rebootFlag(fs, e)
}

func deployFlags(fs *flag.FlagSet, e *env) {
	fs.StringVar(&e.checksum, "checksum", "", "deploy this commit of the remote instead of a VERSION of the graph")
	rebootFlag(fs, e)
}

func kargsFlags(fs *flag.FlagSet, e *env) {
	fs.Var((*cli.List)(&e.kargs.Append), "append", "append kernel argument KEY=VALUE (repeatable)")
	fs.Var((*cli.List)(&e.kargs.Delete), "delete", "delete kernel argument KEY=VALUE, or KEY with one value (repeatable)")
	fs.Var((*cli.List)(&e.kargs.Replace), "replace", "replace KEY=VALUE (every value of KEY) or KEY=OLD=NEW (repeatable)")
	rebootFlag(fs, e)
}

func cleanupFlags(fs *flag.FlagSet, e *env) {
	for _, n := range []string{"p", "pending"} {
		fs.BoolVar(&e.cleanPending, n, false, "remove the pending deployment")
	}
	for _, n := range []string{"r", "rollback"} {
		fs.BoolVar(&e.cleanRollback, n, false, "remove the rollback deployment")
	}
	for _, n := range []string{"b", "base"} {
		fs.BoolVar(&e.cleanBase, n, false, "prune repository objects and deployments nothing refers to (ostree admin cleanup)")
	}
}

// errUnchanged is check's and upgrade's answer with --unchanged-exit-77
// when there is nothing to do (rpm-ostree's convention).
func errUnchanged(version string) error {
	return &stdio.ExitError{Code: 77, Err: fmt.Errorf("no update offered for %s", version)}
}

// rebootIfAsked reboots with --reboot, through the seam of Options.
func (e *env) rebootIfAsked(ctx context.Context) error {
	if !e.reboot {
		return nil
	}
	fmt.Fprintln(e.io.Out, "rebooting")
	if e.rebooter != nil {
		return e.rebooter(ctx)
	}
	if e.sysroot != "/" {
		return fmt.Errorf("--reboot: sysroot %s is not the running system; boot it to use the new deployment", e.sysroot)
	}
	return e.system().Reboot(ctx)
}

// allow lifts an operator's explicit choice out of the agent's deny list.
func (e *env) allow(commit string) error {
	st, err := agent.LoadState(e.state())
	if err != nil {
		return err
	}
	if _, denied := st.Denied[commit]; !denied {
		return nil
	}
	delete(st.Denied, commit)
	return st.Save(e.state())
}
