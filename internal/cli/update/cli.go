// Package updatecli is altcos-update, the update stack's command line and daemon:
//
//	altcos-update status [--json] [--booted]        booted, pending and rollback deployments
//	altcos-update check [--unchanged-exit-77]       is there an update in the graph?
//	altcos-update upgrade [--reboot] [--unchanged-exit-77]   pull and deploy the update (staged on a booted system)
//	altcos-update rollback [--reboot]               make the rollback deployment the default
//	altcos-update deploy VERSION | --checksum C     pull and deploy a given release (or commit) of the stream
//	altcos-update rebase STREAM                     follow another stream: deploy its head
//	altcos-update kargs [--append A] [--delete A] [--replace A]   a new deployment with changed kernel arguments
//	altcos-update cleanup [-p] [-r] [-b]            drop the pending and/or rollback deployment; prune the repository
//	altcos-update update-now                        the running agent skips its strategy's wait once
//	altcos-update agent                             the update agent (altcos-updated.service)
//
// Every command takes --sysroot (default /: the running system) so that it
// works on a sysroot in a directory, and --graph-url to override
// [cincinnati] base_url.
package updatecli

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/internal/cli"
	"github.com/altcos/altcos-tools/internal/stdio"
	"github.com/altcos/altcos-tools/ostree"
	"github.com/altcos/altcos-tools/updates/agent"
	"github.com/altcos/altcos-tools/updates/config"
)

func commands(o Options) []cli.Command {
	return []cli.Command{
		command(o, "status", "show the booted, pending and rollback deployments (--json, --booted)", runStatus, statusFlags),
		command(o, "check", "look for an update in the update graph (--unchanged-exit-77)", runCheck, checkFlags),
		command(o, "upgrade", "pull and deploy the update; it boots next (--reboot)", runUpgrade, upgradeFlags),
		command(o, "rollback", "make the rollback deployment the default (--reboot)", runRollback, rebootFlag),
		command(o, "deploy", "pull and deploy VERSION of the stream, or --checksum COMMIT", runDeploy, deployFlags),
		command(o, "rebase", "follow STREAM: deploy its head; updates then come from its graph (--reboot)", runRebase, rebootFlag),
		command(o, "kargs", "new deployment with kernel arguments changed (--append, --delete, --replace)", runKargs, kargsFlags),
		command(o, "cleanup", "drop the pending (-p) and/or rollback (-r) deployment; prune the repository (-b)", runCleanup, cleanupFlags),
		command(o, "update-now", "tell the running agent to skip its strategy's wait once", runUpdateNow, nil),
		command(o, "agent", "run the update agent (the altcos-updated daemon)", runAgent, nil),
	}
}

// Options are the seams a test sets; the zero value is the real system.
type Options struct {
	// Reboot reboots the machine (--reboot); default: systemctl reboot,
	// refused unless the sysroot is the running system's (/).
	Reboot func(ctx context.Context) error
}

// Run runs altcos-update with args (without the program name).
func Run(ctx context.Context, args []string, io stdio.Stdio) error {
	return RunWith(ctx, args, io, Options{})
}

// RunWith is Run with seams.
func RunWith(ctx context.Context, args []string, io stdio.Stdio, o Options) error {
	return cli.Dispatch(ctx, "altcos-update", "altcos-update COMMAND [--sysroot DIR] [--graph-url URL] [flags]", commands(o), args, io)
}

// command is a subcommand that takes the common flags and its own (set up
// by flags), before or after its arguments (deploy VERSION --sysroot X),
// into an env.
func command(o Options, name, summary string, run func(ctx context.Context, e *env, args []string) error, flags func(fs *flag.FlagSet, e *env)) cli.Command {
	return cli.Command{Name: name, Summary: summary, Run: func(ctx context.Context, args []string, io stdio.Stdio) error {
		e := &env{io: io, rebooter: o.Reboot}
		fs := cli.NewFlagSet("altcos-update "+name, "usage: altcos-update "+name+" [flags]\n\n"+summary+"\n", io.Err)
		fs.StringVar(&e.sysroot, "sysroot", "/", "ostree sysroot (default: the running system)")
		fs.StringVar(&e.osname, "os", altcos.OSName, "ostree osname")
		fs.StringVar(&e.root, "root", "/", "root of the configuration directories and /etc/machine-id")
		fs.StringVar(&e.statePath, "state", "", "agent state file (default: /var/lib/altcos-updated/state.json of the sysroot)")
		fs.StringVar(&e.graphURL, "graph-url", "", "update graph base URL (overrides [cincinnati] base_url)")
		verbose := fs.Bool("v", false, "log the commands run")
		if flags != nil {
			flags(fs, e)
		}
		pos, help, err := cli.ParseInterleaved(fs, args)
		if help || err != nil {
			return err
		}
		e.log = cli.Logger(io.Err, *verbose)
		return run(ctx, e, pos)
	}}
}

// env is what every command shares, from the common flags.
type env struct {
	io        stdio.Stdio
	log       *slog.Logger
	sysroot   string
	osname    string
	root      string
	statePath string
	graphURL  string
	rebooter  func(ctx context.Context) error
	// Flags of some commands (see flags.go).
	json, booted, exit77, reboot bool
	checksum                     string
	kargs                        ostree.KargEdits
	cleanPending, cleanRollback  bool
	cleanBase                    bool
}

func (e *env) system() *agent.OSTreeSystem {
	return &agent.OSTreeSystem{Sysroot: &ostree.Sysroot{Path: e.sysroot, Log: e.log}, OSName: e.osname, Log: e.log}
}

// state is the agent's state file: in the stateroot's /var, which is the
// running system's /var when the sysroot is /.
func (e *env) state() string {
	if e.statePath != "" {
		return e.statePath
	}
	if e.sysroot == "/" {
		return agent.DefaultStatePath
	}
	return filepath.Join(e.sysroot, "ostree/deploy", e.osname, "var/lib/altcos-updated/state.json")
}

func (e *env) config() (*config.Config, error) {
	cfg, err := config.Load(e.root)
	if err != nil {
		return nil, err
	}
	if e.graphURL != "" {
		cfg.Cincinnati.BaseURL = e.graphURL
	}
	return cfg, nil
}

func noArgs(args []string) error {
	if len(args) > 0 {
		return &stdio.UsageError{Msg: fmt.Sprintf("unexpected argument %q", args[0])}
	}
	return nil
}
