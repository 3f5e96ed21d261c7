// Package updatecli is altcos-update, the update stack's command line and daemon:
//
//	altcos-update status [--json]   booted, pending and rollback deployments
//	altcos-update check             is there an update in the graph?
//	altcos-update upgrade           pull and deploy the update (staged on a booted system)
//	altcos-update rollback          make the rollback deployment the default
//	altcos-update deploy VERSION    pull and deploy a given release of the stream
//	altcos-update agent             the update agent (altcos-updated.service)
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

var commands = []cli.Command{
	command("status", "show the booted, pending and rollback deployments", runStatus),
	command("check", "look for an update in the update graph", runCheck),
	command("upgrade", "pull and deploy the update; it boots next", runUpgrade),
	command("rollback", "make the rollback deployment the default", runRollback),
	command("deploy", "pull and deploy VERSION of the stream", runDeploy),
	command("agent", "run the update agent (the altcos-updated daemon)", runAgent),
}

// Run runs altcos-update with args (without the program name).
func Run(ctx context.Context, args []string, io stdio.Stdio) error {
	return cli.Dispatch(ctx, "altcos-update", "altcos-update COMMAND [--sysroot DIR] [--graph-url URL] [flags]", commands, args, io)
}

// command is a subcommand that takes the common flags, before or after its
// arguments (deploy VERSION --sysroot X), into an env.
func command(name, summary string, run func(ctx context.Context, e *env, args []string) error) cli.Command {
	return cli.Command{Name: name, Summary: summary, Run: func(ctx context.Context, args []string, io stdio.Stdio) error {
		e := &env{io: io}
		fs := flag.NewFlagSet("altcos-update "+name, flag.ContinueOnError)
		fs.SetOutput(io.Err)
		fs.StringVar(&e.sysroot, "sysroot", "/", "ostree sysroot (default: the running system)")
		fs.StringVar(&e.osname, "os", altcos.OSName, "ostree osname")
		fs.StringVar(&e.root, "root", "/", "root of the configuration directories and /etc/machine-id")
		fs.StringVar(&e.statePath, "state", "", "agent state file (default: /var/lib/altcos-updated/state.json of the sysroot)")
		fs.StringVar(&e.graphURL, "graph-url", "", "update graph base URL (overrides [cincinnati] base_url)")
		verbose := fs.Bool("v", false, "log the commands run")
		if name == "status" {
			fs.BoolVar(&e.json, "json", false, "print JSON")
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
	json      bool
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
