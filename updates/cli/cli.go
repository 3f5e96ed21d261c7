// Package cli is altcos-update, the update stack's command line and daemon:
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
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"

	"github.com/altcos/altcos-tools/internal/stdio"
	"github.com/altcos/altcos-tools/ostree"
	"github.com/altcos/altcos-tools/updates/agent"
	"github.com/altcos/altcos-tools/updates/config"
	"github.com/altcos/altcos-tools/updates/graph"
)

// OSName is ALTCOS's ostree osname.
const OSName = "alt-containeros"

// UsageError is a command line the tool does not understand (exit code 2).
type UsageError = stdio.UsageError

type command struct {
	run     func(ctx context.Context, e *env, args []string) error
	summary string
}

func commands() map[string]command {
	return map[string]command{
		"status":   {runStatus, "show the booted, pending and rollback deployments"},
		"check":    {runCheck, "look for an update in the update graph"},
		"upgrade":  {runUpgrade, "pull and deploy the update; it boots next"},
		"rollback": {runRollback, "make the rollback deployment the default"},
		"deploy":   {runDeploy, "pull and deploy VERSION of the stream"},
		"agent":    {runAgent, "run the update agent (the altcos-updated daemon)"},
	}
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

// Run runs altcos-update with args (without the program name).
func Run(ctx context.Context, args []string, io stdio.Stdio) error {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(io.Out, usage(cmds))
		return nil
	}
	c, ok := cmds[args[0]]
	if !ok {
		return &UsageError{Msg: fmt.Sprintf("unknown command %q; run `altcos-update help`", args[0])}
	}
	e := &env{io: io}
	fs := flag.NewFlagSet("altcos-update "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Err)
	fs.StringVar(&e.sysroot, "sysroot", "/", "ostree sysroot (default: the running system)")
	fs.StringVar(&e.osname, "os", OSName, "ostree osname")
	fs.StringVar(&e.root, "root", "/", "root of the configuration directories and /etc/machine-id")
	fs.StringVar(&e.statePath, "state", "", "agent state file (default: /var/lib/altcos-updated/state.json of the sysroot)")
	fs.StringVar(&e.graphURL, "graph-url", "", "update graph base URL (overrides [cincinnati] base_url)")
	verbose := fs.Bool("v", false, "log the commands run")
	if args[0] == "status" {
		fs.BoolVar(&e.json, "json", false, "print JSON")
	}
	// Flags may come before or after the arguments (deploy VERSION --sysroot X).
	var pos []string
	rest := args[1:]
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return &UsageError{Msg: err.Error()}
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	e.log = slog.New(slog.NewTextHandler(io.Err, &slog.HandlerOptions{Level: level}))
	if err := c.run(ctx, e, pos); err != nil {
		return fmt.Errorf("%s: %w", args[0], err)
	}
	return nil
}

func usage(cmds map[string]command) string {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("usage: altcos-update COMMAND [--sysroot DIR] [--graph-url URL] [flags]\n\ncommands:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %-9s %s\n", n, cmds[n].summary)
	}
	b.WriteString("\nRun `altcos-update COMMAND -h` for a command's flags.\n")
	return b.String()
}

func noArgs(args []string) error {
	if len(args) > 0 {
		return &UsageError{Msg: fmt.Sprintf("unexpected argument %q", args[0])}
	}
	return nil
}

// StatusJSON is `status --json`.
type StatusJSON struct {
	Sysroot     string                   `json:"sysroot"`
	Booted      *ostree.DeploymentEntry  `json:"booted"`
	Pending     *ostree.DeploymentEntry  `json:"pending"`
	Rollback    *ostree.DeploymentEntry  `json:"rollback"`
	Deployments []ostree.DeploymentEntry `json:"deployments"`
	Denied      map[string]string        `json:"denied,omitempty"`
}

func runStatus(ctx context.Context, e *env, args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	ds, err := e.system().Deployments(ctx)
	if err != nil {
		return err
	}
	st, err := agent.LoadState(e.state())
	if err != nil {
		return err
	}
	r := agent.RolesOf(ds)
	if e.json {
		b, _ := json.MarshalIndent(StatusJSON{Sysroot: e.sysroot, Booted: r.Booted, Pending: r.Pending, Rollback: r.Rollback, Deployments: ds, Denied: st.Denied}, "", "  ")
		_, err := e.io.Out.Write(append(b, '\n'))
		return err
	}
	writeStatus(e.io.Out, e.sysroot, ds, r, st)
	return nil
}

func writeStatus(w io.Writer, sysroot string, ds []ostree.DeploymentEntry, r agent.Roles, st *agent.State) {
	if r.Booted == nil {
		fmt.Fprintf(w, "sysroot %s is not the running system: no booted deployment\n", sysroot)
	}
	for _, d := range ds {
		var roles []string
		if d.Booted {
			roles = append(roles, "booted")
		}
		if r.Pending != nil && d.Index == r.Pending.Index {
			roles = append(roles, "pending")
		}
		if d.Staged {
			roles = append(roles, "staged")
		}
		if r.Rollback != nil && d.Index == r.Rollback.Index {
			roles = append(roles, "rollback")
		}
		if d.Index == 0 {
			roles = append(roles, "default")
		}
		mark := " "
		if d.Booted {
			mark = "*"
		}
		fmt.Fprintf(w, "%s %d %-26s %s\n", mark, d.Index, strings.Join(roles, ","), d.Version)
		fmt.Fprintf(w, "      commit %s.%d\n      origin %s\n", d.Checksum, d.Serial, d.Refspec)
	}
	for c, why := range st.Denied {
		fmt.Fprintf(w, "never offered again: %s (%s)\n", c, why)
	}
}

// findUpdate fetches the graph for the current deployment's stream.
func findUpdate(ctx context.Context, e *env) (agent.Update, bool, *graph.Graph, []ostree.DeploymentEntry, error) {
	cfg, err := e.config()
	if err != nil {
		return agent.Update{}, false, nil, nil, err
	}
	g, ds, err := fetchGraph(ctx, e, cfg)
	if err != nil {
		return agent.Update{}, false, nil, nil, err
	}
	st, err := agent.LoadState(e.state())
	if err != nil {
		return agent.Update{}, false, nil, nil, err
	}
	u, ok, err := agent.FindUpdate(g, ds, st.Denied, cfg.Updates.AllowDowngrade)
	return u, ok, g, ds, err
}

func fetchGraph(ctx context.Context, e *env, cfg *config.Config) (*graph.Graph, []ostree.DeploymentEntry, error) {
	ds, err := e.system().Deployments(ctx)
	if err != nil {
		return nil, nil, err
	}
	origin, err := agent.ParseRefspec(agent.Current(ds).Refspec)
	if err != nil {
		return nil, nil, err
	}
	if cfg.Cincinnati.BaseURL == "" {
		return nil, nil, errors.New("no update graph configured; set [cincinnati] base_url in /etc/altcos-updated/config.d/ or pass --graph-url")
	}
	g, err := graph.Fetch(ctx, nil, cfg.Cincinnati.BaseURL, graph.Query{Basearch: origin.Arch, Stream: origin.Stream})
	return g, ds, err
}

func runCheck(ctx context.Context, e *env, args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	u, ok, _, ds, err := findUpdate(ctx, e)
	if err != nil {
		return err
	}
	if !ok {
		fmt.Fprintf(e.io.Out, "no update offered for %s\n", agent.Current(ds).Version)
		return nil
	}
	fmt.Fprintf(e.io.Out, "update available: %s (%s)\n", u.Version, u.Commit)
	return nil
}

func runUpgrade(ctx context.Context, e *env, args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	u, ok, _, ds, err := findUpdate(ctx, e)
	if err != nil {
		return err
	}
	if !ok {
		fmt.Fprintf(e.io.Out, "no update offered for %s\n", agent.Current(ds).Version)
		return nil
	}
	cfg, _ := e.config()
	return apply(ctx, e, u, cfg.Updates.AllowDowngrade)
}

func apply(ctx context.Context, e *env, u agent.Update, allowDowngrade bool) error {
	sys := e.system()
	if err := agent.Apply(ctx, sys, u, allowDowngrade); err != nil {
		return err
	}
	ds, err := sys.Deployments(ctx)
	if err != nil {
		return err
	}
	how := "deployed"
	if ds[0].Staged {
		how = "staged"
	}
	fmt.Fprintf(e.io.Out, "%s %s (%s); it boots next: reboot to use it\n", how, u.Version, u.Commit)
	return nil
}

func runDeploy(ctx context.Context, e *env, args []string) error {
	if len(args) != 1 {
		return &UsageError{Msg: "deploy needs one VERSION, e.g. `altcos-update deploy sisyphus.20261125.1.0`"}
	}
	cfg, err := e.config()
	if err != nil {
		return err
	}
	g, _, err := fetchGraph(ctx, e, cfg)
	if err != nil {
		return err
	}
	i := g.FindVersion(args[0])
	if i < 0 {
		return fmt.Errorf("version %s is not in the update graph of the stream; `altcos-update check` shows the newest", args[0])
	}
	u := agent.Update{Version: g.Nodes[i].Version, Commit: g.Nodes[i].Payload}
	// An explicit choice lifts a deny and allows going back.
	st, err := agent.LoadState(e.state())
	if err != nil {
		return err
	}
	if _, denied := st.Denied[u.Commit]; denied {
		delete(st.Denied, u.Commit)
		if err := st.Save(e.state()); err != nil {
			return err
		}
	}
	return apply(ctx, e, u, true)
}

func runRollback(ctx context.Context, e *env, args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	sys := e.system()
	before, err := sys.Deployments(ctx)
	if err != nil {
		return err
	}
	if err := sys.Rollback(ctx); err != nil {
		return err
	}
	after, err := sys.Deployments(ctx)
	if err != nil {
		return err
	}
	// The agent must not move forward to what the operator just left.
	st, err := agent.LoadState(e.state())
	if err != nil {
		return err
	}
	st.Deny(before[0].Checksum, "rolled back by the operator; `altcos-update deploy "+before[0].Version+"` allows it again")
	if err := st.Save(e.state()); err != nil {
		return err
	}
	fmt.Fprintf(e.io.Out, "rolled back: %s is the default (it boots next), %s was\n", after[0].Version, before[0].Version)
	return nil
}
