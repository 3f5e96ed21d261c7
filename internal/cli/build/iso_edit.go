package buildcli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/altcos/altcos-tools/image/iso"
	"github.com/altcos/altcos-tools/internal/cli"
	"github.com/altcos/altcos-tools/internal/stdio"
)

// runISOIgnition is `iso ignition embed|show|remove` (coreos-installer's
// names): the installed system's Ignition config on the ISO.
//
//	altcos-build iso ignition embed [-i CONFIG] [-f] [-o OUT.iso] ISO   (config from stdin without -i)
//	altcos-build iso ignition show ISO
//	altcos-build iso ignition remove [-o OUT.iso] ISO
func runISOIgnition(ctx context.Context, args []string, sio stdio.Stdio) error {
	if len(args) == 0 {
		return &stdio.UsageError{Msg: "iso ignition takes embed, show or remove"}
	}
	switch args[0] {
	case "embed":
		fs := cli.NewFlagSet("iso ignition embed", "usage: altcos-build iso ignition embed [-i CONFIG] [-f] [-o OUT.iso] ISO\n"+
			"The installed system's Ignition (or Butane) config, validated for the OS on the ISO; without -o the ISO changes in place.", sio.Err)
		in := fs.String("i", "", "the config (default: standard input)")
		force := fs.Bool("f", false, "replace a config the ISO carries already")
		o, err := editFlags(fs, args[1:], sio)
		if err != nil || o == nil {
			return err
		}
		name, data := "standard input", []byte(nil)
		if *in != "" {
			name = *in
			data, err = os.ReadFile(*in)
		} else {
			data, err = io.ReadAll(sio.In)
		}
		if err != nil {
			return fmt.Errorf("read the Ignition config %s: %w", name, err)
		}
		if err := iso.EmbedIgnition(ctx, *o, data, name, *force); err != nil {
			return err
		}
		fmt.Fprintf(sio.Out, "%s: carries the Ignition config %s for the installed system\n", o.Output, name)
		return nil
	case "show":
		if len(args) != 2 {
			return &stdio.UsageError{Msg: "iso ignition show takes one ISO"}
		}
		r, err := iso.Inspect(args[1])
		if err != nil {
			return err
		}
		if r.Ignition == nil {
			return fmt.Errorf("%s carries no Ignition config", args[1])
		}
		_, err = sio.Out.Write(r.Ignition)
		return err
	case "remove":
		fs := cli.NewFlagSet("iso ignition remove", "usage: altcos-build iso ignition remove [-o OUT.iso] ISO", sio.Err)
		o, err := editFlags(fs, args[1:], sio)
		if err != nil || o == nil {
			return err
		}
		if err := iso.RemoveIgnition(ctx, *o); err != nil {
			return err
		}
		fmt.Fprintf(sio.Out, "%s: no Ignition config\n", o.Output)
		return nil
	}
	return &stdio.UsageError{Msg: fmt.Sprintf("iso ignition %q: use embed, show or remove", args[0])}
}

// runISOKargs is `iso kargs modify|show|reset`: the live kernel arguments
// every menu entry gets.
//
//	altcos-build iso kargs modify [--append K]... [--delete K]... [--replace K=OLD=NEW]... [-o OUT.iso] ISO
//	altcos-build iso kargs show [--default] ISO
//	altcos-build iso kargs reset [-o OUT.iso] ISO
func runISOKargs(ctx context.Context, args []string, sio stdio.Stdio) error {
	if len(args) == 0 {
		return &stdio.UsageError{Msg: "iso kargs takes modify, show or reset"}
	}
	switch args[0] {
	case "modify":
		fs := cli.NewFlagSet("iso kargs modify", "usage: altcos-build iso kargs modify [--append K]... [--delete K]... [--replace K=OLD=NEW]... [-o OUT.iso] ISO\n"+
			"Changes the live kernel arguments of every menu entry (deletions, then replacements, then appends); without -o the ISO changes in place.", sio.Err)
		var e iso.KargsEdit
		var add, del, repl cli.List
		fs.Var(&add, "append", "kernel argument to add (repeatable)")
		fs.Var(&del, "delete", "kernel argument to delete: KEY=VALUE, or KEY for every value (repeatable)")
		fs.Var(&repl, "replace", "kernel argument to change: KEY=OLD=NEW (repeatable)")
		o, err := editFlags(fs, args[1:], sio)
		if err != nil || o == nil {
			return err
		}
		e.Append, e.Delete, e.Replace = add, del, repl
		if err := iso.ModifyKargs(ctx, *o, e); err != nil {
			return err
		}
		return printKargs(sio, o.Output, false)
	case "show":
		fs := cli.NewFlagSet("iso kargs show", "usage: altcos-build iso kargs show [--default] ISO", sio.Err)
		def := fs.Bool("default", false, "the arguments as built")
		if help, err := cli.ParseFlags(fs, args[1:]); help || err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return &stdio.UsageError{Msg: "iso kargs show takes one ISO"}
		}
		return printKargs(sio, fs.Arg(0), *def)
	case "reset":
		fs := cli.NewFlagSet("iso kargs reset", "usage: altcos-build iso kargs reset [-o OUT.iso] ISO", sio.Err)
		o, err := editFlags(fs, args[1:], sio)
		if err != nil || o == nil {
			return err
		}
		if err := iso.ResetKargs(ctx, *o); err != nil {
			return err
		}
		return printKargs(sio, o.Output, false)
	}
	return &stdio.UsageError{Msg: fmt.Sprintf("iso kargs %q: use modify, show or reset", args[0])}
}

// printKargs prints the live kernel arguments of an ISO on one line (those
// as built with def).
func printKargs(sio stdio.Stdio, p string, def bool) error {
	r, err := iso.Inspect(p)
	if err != nil {
		return err
	}
	args := r.Info.LiveArgs
	if def && r.Info.BuiltLiveArgs != nil {
		args = *r.Info.BuiltLiveArgs
	}
	fmt.Fprintln(sio.Out, strings.Join(args, " "))
	return nil
}

// runISOReset is `iso reset`: every customization and live argument change
// dropped.
//
//	altcos-build iso reset [-o OUT.iso] ISO
func runISOReset(ctx context.Context, args []string, sio stdio.Stdio) error {
	fs := cli.NewFlagSet("iso reset", "usage: altcos-build iso reset [-o OUT.iso] ISO\nDrops every customization: the ISO reads as built.", sio.Err)
	o, err := editFlags(fs, args, sio)
	if err != nil || o == nil {
		return err
	}
	if err := iso.Reset(ctx, *o); err != nil {
		return err
	}
	fmt.Fprintf(sio.Out, "%s: as built\n", o.Output)
	return nil
}

// editFlags adds -o and -v to fs, parses args and returns the edit of the
// one ISO named (Output set: the input itself without -o), or nil after -h.
func editFlags(fs *flag.FlagSet, args []string, sio stdio.Stdio) (*iso.EditOptions, error) {
	out := fs.String("o", "", "write the changed ISO here (default: change the ISO in place)")
	verbose := fs.Bool("v", false, "log every command run")
	pos, help, err := cli.ParseInterleaved(fs, args)
	if help || err != nil {
		return nil, err
	}
	if len(pos) != 1 {
		return nil, &stdio.UsageError{Msg: fs.Name() + " takes one ISO; run `altcos-build " + fs.Name() + " -h`"}
	}
	o := &iso.EditOptions{Input: pos[0], Output: *out, Log: cli.Logger(sio.Err, *verbose)}
	if o.Output == "" {
		o.Output = o.Input
	}
	return o, nil
}
