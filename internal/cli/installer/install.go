package installercli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/altcos/altcos-tools/installer"
	"github.com/altcos/altcos-tools/installer/disks"
	"github.com/altcos/altcos-tools/installer/planconfig"
	"github.com/altcos/altcos-tools/installer/prompt"
	"github.com/altcos/altcos-tools/installer/report"
	"github.com/altcos/altcos-tools/internal/cli"
	"github.com/altcos/altcos-tools/internal/stdio"
	"golang.org/x/sys/unix"
)

// setting is one flag occurrence, applied to the plan in command-line order.
type setting struct{ key, value, flag string }

// planFlag records occurrences of a flag that sets a plan field.
type planFlag struct {
	key, name string
	isBool    bool
	out       *[]setting
}

func (f *planFlag) String() string { return "" }
func (f *planFlag) Set(v string) error {
	*f.out = append(*f.out, setting{f.key, v, f.name})
	return nil
}
func (f *planFlag) IsBoolFlag() bool { return f.isBool }

// metavar names the value of each install flag in its help.
var metavar = map[string]string{
	"ignition-file": "SOURCE", "ignition-url": "URL", "ignition-hash": "HASH", "fetch-retries": "N", "append-karg": "KARG",
	"delete-karg": "KARG", "console": "CONSOLE", "platform": "ID", "stream": "STREAM", "image-file": "FILE", "image-url": "URL", "gpg-keyring": "FILE",
	"stream-base-url": "URL", "image-sha256": "HEX",
	"root-password-hash": "HASH", "ssh-known-hosts": "FILE", "ssh-host-key": "SHA256:...", "ca-bundle": "FILE",
	"min-disk-size": "SIZE", "dest-device": "DEVICE", "save-partlabel": "GLOB", "save-partindex": "N|N-|-N|N-M",
	"pre-install": "FILE", "post-install": "FILE", "config": "FILE", "cmdline-file": "FILE", "config-dir": "DIR", "sysroot": "DIR", "network-dir": "DIR",
}

// planFlags are the install flags that set a plan key, in the order of the
// help: the key, the help, whether the flag takes no value, and its names
// (the last one is the long name the plan's provenance shows).
var planFlags = []struct {
	key, help string
	isBool    bool
	names     []string
}{
	{"ignition-file", "Ignition or Butane config: a path, file://, scp://user@host[:port]/path, user@host:path, or data: URL", false, []string{"i", "ignition-file"}},
	{"ignition-url", "Ignition or Butane config URL: http(s)://, scp://, data:", false, []string{"I", "ignition-url"}},
	{"ignition-hash", "expected hash of the config: sha256-<hex> or sha512-<hex>", false, []string{"ignition-hash"}},
	{"insecure-ignition", "allow a plain http config URL without --ignition-hash", true, []string{"insecure-ignition"}},
	{"save-partlabel", "keep the partitions whose GPT name matches GLOB (repeat the flag, or a,b)", false, []string{"save-partlabel"}},
	{"save-partindex", "keep the partitions numbered N, N and up (N-), up to N (-N) or N-M (repeat the flag, or a,b)", false, []string{"save-partindex"}},
	{"pre-install", "run FILE before the first write; it fails the install (repeat the flag)", false, []string{"pre-install"}},
	{"post-install", "run FILE after the install, filesystems mounted (ALTCOS_INSTALL_SYSROOT); it fails the install (repeat the flag)", false, []string{"post-install"}},
	{"copy-network", "copy the live system's network (systemd-networkd units from ip=, nameserver= and iso customize --network-unit) into the installed system", true, []string{"n", "copy-network"}},
	{"network-dir", "the networkd units --copy-network copies (default " + installer.DefaultNetworkDir + ")", false, []string{"network-dir"}},
	{"fetch-retries", "retries of a failed network fetch: N or infinite (default 0)", false, []string{"fetch-retries"}},
	{"append-karg", "kernel argument to add to the installed system (repeat the flag)", false, []string{"append-karg"}},
	{"delete-karg", "kernel argument to remove from the installed system (repeat the flag)", false, []string{"delete-karg"}},
	{"console", "kernel console for the installed system, e.g. ttyS0,115200n8 (repeat the flag)", false, []string{"console"}},
	{"platform", "Ignition platform id: metal (default) or qemu", false, []string{"platform"}},
	{"stream", "the stream to install: its newest release from --stream-base-url; without one, checked against the deploy archive", false, []string{"stream"}},
	{"stream-base-url", "base URL of the stream metadata (STREAM.json), e.g. http://HOST:PORT/streams/ (altcos-build serve)", false, []string{"stream-base-url"}},
	{"image-file", "deploy archive to install (default: the one on the live medium)", false, []string{"f", "image-file"}},
	{"image-url", "https URL of a deploy archive to install (deploy.json beside it; both signed, FILE.sig)", false, []string{"u", "image-url"}},
	{"image-sha256", "sha256 the deploy archive must have; a network image without a signature is then accepted", false, []string{"image-sha256"}},
	{"gpg-keyring", "keyring (binary) that verifies the signatures of an --image-url download (default: the live medium's release keys)", false, []string{"gpg-keyring"}},
	{"insecure", "allow an unsigned image: install an --image-url download without checking its signatures (as coreos-installer; the sha256 is still checked)", true, []string{"insecure"}},
	{"root-password-hash", "root password as a crypt(3) hash (altcos-installer hash-password makes one)", false, []string{"root-password-hash"}},
	{"yes", "do not ask: wipe the target without confirmation", true, []string{"y", "yes"}},
	{"dry-run", "print the plan and run every check; write nothing", true, []string{"dry-run"}},
	{"preserve-on-error", "keep what was written when the install fails (for debugging)", true, []string{"preserve-on-error"}},
	{"no-reboot", "do not reboot after the install", true, []string{"no-reboot"}},
	{"json", "print progress and errors as JSON events, one per line", true, []string{"json"}},
	{"ssh-known-hosts", "known_hosts file for scp config sources", false, []string{"ssh-known-hosts"}},
	{"ssh-host-key", "the scp host's key fingerprint, SHA256:<base64>", false, []string{"ssh-host-key"}},
	{"ca-bundle", "PEM file of extra CAs for https sources", false, []string{"ca-bundle"}},
	{"min-disk-bytes", "smallest target disk, e.g. 8G (default 8G)", false, []string{"min-disk-size"}},
	{"dest-device", "the target disk or image file (same as DEVICE)", false, []string{"dest-device"}},
}

// installFlags is the install command's flag set.
type installFlags struct {
	fs        *flag.FlagSet
	settings  []setting
	configs   cli.List
	cmdline   string
	configDir string
	sysroot   string
	imageMode bool
	verbose   bool
}

func newInstallFlags(errw io.Writer) *installFlags {
	f := &installFlags{fs: flag.NewFlagSet("install", flag.ContinueOnError)}
	fs := f.fs
	fs.SetOutput(errw)
	type doc struct{ names, help string }
	var docs []doc
	document := func(help string, isBool bool, names ...string) {
		var ns []string
		for _, n := range names {
			dash := "--"
			if len(n) == 1 {
				dash = "-"
			}
			ns = append(ns, dash+n)
		}
		line := strings.Join(ns, ", ")
		if !isBool {
			line += " " + metavar[names[len(names)-1]]
		}
		docs = append(docs, doc{line, help})
	}
	for _, p := range planFlags {
		for _, n := range p.names {
			fs.Var(&planFlag{key: p.key, name: "--" + p.names[len(p.names)-1], isBool: p.isBool, out: &f.settings}, n, p.help)
		}
		document(p.help, p.isBool, p.names...)
	}
	// The flags of the command itself, in the order of the help.
	fs.Var(&f.configs, "config", "YAML file with the flags' keys (repeatable; applied after kernel arguments, before flags)")
	fs.StringVar(&f.cmdline, "cmdline-file", "/proc/cmdline", "kernel command line to read altcos.inst.* from (default /proc/cmdline)")
	fs.StringVar(&f.configDir, "config-dir", planconfig.DefaultConfigDir, "folder of drop-in YAML files (default "+planconfig.DefaultConfigDir+")")
	fs.BoolVar(&f.imageMode, "image-mode", false, "DEVICE is a raw image file to create or overwrite (automatic for an existing regular file)")
	fs.StringVar(&f.sysroot, "sysroot", "/", "root of /sys, /proc and /dev to inspect (default /; for tests)")
	fs.BoolVar(&f.verbose, "verbose", false, "log details to stderr")
	for _, n := range []string{"config", "cmdline-file", "config-dir", "image-mode", "sysroot", "verbose"} {
		fl := fs.Lookup(n)
		b, ok := fl.Value.(interface{ IsBoolFlag() bool })
		document(fl.Usage, ok && b.IsBoolFlag(), n)
	}
	fs.Usage = func() {
		fmt.Fprint(errw, "Usage: altcos-installer install [flags] [DEVICE] [IGNITION]\n\nFlags (anywhere on the line; -x and --x are the same):\n")
		for _, d := range docs {
			fmt.Fprintf(errw, "  %-30s %s\n", d.names, d.help)
		}
		fmt.Fprint(errw, "\nExit codes: 0 ok, 2 bad input, 3 fetch failure, 4 disk failure, 5 hook failure, 70 internal (altcos-installer --help)\n")
	}
	return f
}

// resolve builds the plan from all sources. unattended is true when kernel
// arguments drove it.
func (f *installFlags) resolve(pos []string) (p *installer.Plan, unattended bool, err error) {
	p = planconfig.Defaults()
	if err := planconfig.ApplyDir(p, f.configDir); err != nil {
		return nil, false, err
	}
	var liveCmdline []byte
	if f.cmdline != "" {
		b, err := os.ReadFile(f.cmdline)
		liveCmdline = b
		if err != nil && !(errors.Is(err, os.ErrNotExist) && f.cmdline == "/proc/cmdline") {
			return nil, false, usagef("kernel command line %s: %v; check --cmdline-file", f.cmdline, errors.Unwrap(err))
		}
		if unattended, err = planconfig.ApplyKargs(p, string(b), f.cmdline); err != nil {
			return nil, false, err
		}
	}
	for _, c := range f.configs {
		if err := planconfig.ApplyFile(p, c); err != nil {
			return nil, false, err
		}
	}
	seen := map[string]bool{}
	for _, s := range f.settings {
		if err := planconfig.Set(p, s.key, s.value, "flag "+s.flag, seen[s.key]); err != nil {
			return nil, false, err
		}
		seen[s.key] = true
	}
	if len(pos) > 2 {
		return nil, false, usagef("too many arguments %q; give DEVICE and IGNITION at most", pos[2:])
	}
	if len(pos) >= 1 {
		planconfig.Set(p, "dest-device", pos[0], "argument DEVICE", false)
	}
	if len(pos) == 2 {
		planconfig.Set(p, "ignition-file", pos[1], "argument IGNITION", false)
		if p.IgnitionURL != "" && p.Origin["ignition-url"] != "" && !strings.HasPrefix(p.Origin["ignition-url"], "flag") {
			p.IgnitionURL = "" // the argument overrides a config file's or kernel argument's URL
		}
	}
	if unattended && !seen["yes"] {
		p.Yes = true
		p.Origin["yes"] = "kernel arguments (unattended install)"
	}
	if p.Device != "" {
		if fi, err := os.Stat(p.Device); (err == nil && fi.Mode().IsRegular()) || f.imageMode {
			p.ImageMode = true
		}
	}
	if !p.ImageMode {
		// The installed machine is this one: its consoles are the live system's.
		planconfig.DefaultConsole(p, string(liveCmdline), f.cmdline)
	}
	return p, unattended, nil
}

// install is `altcos-installer install [flags] [DEVICE] [IGNITION]`, flags
// anywhere on the line; see usageText and the flags' help.
func install(ctx context.Context, args []string, io stdio.Stdio) error {
	f := newInstallFlags(io.Err)
	pos, help, err := cli.ParseInterleaved(f.fs, args)
	if help {
		return nil
	}
	if err != nil {
		return usagef("%v; run altcos-installer install --help", err)
	}
	p, unattended, err := f.resolve(pos)
	jsonOut := p != nil && p.JSON
	var rep report.Reporter
	switch {
	case jsonOut:
		rep = report.NewJSON(io.Out)
	case isTerminal(io.Out):
		rep = report.NewTerminal(io.Out)
	default:
		rep = report.NewPlain(io.Out)
	}
	fail := func(err error) error {
		_, class := classify(err)
		rep.Done(err, class)
		return err
	}
	if err != nil {
		return fail(err)
	}
	var pr interface {
		installer.Prompter
		prompt.Inputter
	}
	if !unattended && !p.Yes {
		pr = prompter(io)
	}
	if err := ask(p, pr, f.sysroot); err != nil {
		return fail(err)
	}
	planconfig.Finish(p)
	if err := planconfig.Validate(p); err != nil {
		return fail(err)
	}
	for _, w := range p.Warnings {
		rep.Info("warning: " + w)
	}
	if p.DryRun && p.JSON {
		json.NewEncoder(io.Out).Encode(struct {
			Event    string             `json:"event"`
			Settings []planconfig.Entry `json:"settings"`
		}{"plan", planconfig.Entries(p)})
	} else if p.DryRun {
		planconfig.Print(io.Out, p)
	}
	logLevel := slog.LevelWarn
	if f.verbose {
		logLevel = slog.LevelDebug
	}
	env := installer.Env{
		Log:      slog.New(slog.NewTextHandler(io.Err, &slog.HandlerOptions{Level: logLevel})),
		Progress: rep,
		SysRoot:  f.sysroot,
		Stdout:   io.Out,
	}
	if pr != nil {
		env.Prompt = pr
	}
	if !p.ImageMode && !p.DryRun {
		env.Reboot = reboot
	}
	if err := installer.Run(ctx, p, env); err != nil {
		return fail(err)
	}
	if p.DryRun {
		rep.Info("dry run: every check passed; nothing was written")
	}
	rep.Done(nil, "")
	return nil
}

// ask fills what the plan lacks by asking the operator, when one can be asked.
func ask(p *installer.Plan, pr interface {
	installer.Prompter
	prompt.Inputter
}, sysroot string) error {
	if p.Device != "" || pr == nil {
		return nil // complete enough, or nobody to ask: Validate says what is missing
	}
	devs, err := disks.List(sysroot, disks.Options{MinBytes: p.MinDiskBytes})
	if err != nil {
		return err
	}
	var usable []*disks.Device
	var items []string
	for _, d := range devs {
		if len(d.Reasons) > 0 {
			continue
		}
		usable = append(usable, d)
		items = append(items, strings.Join(describeRow(d), "  "))
	}
	if len(usable) == 0 {
		var why []string
		for _, d := range devs {
			why = append(why, d.Path+": "+d.Reasons[0])
		}
		return usagef("no disk can be the target (%s); attach a disk of at least %s", strings.Join(why, "; "), disks.HumanSize(p.MinDiskBytes))
	}
	i, err := pr.Select("Install ALTCOS on which disk?", items)
	if err != nil {
		return err
	}
	planconfig.Set(p, "dest-device", usable[i].Path, "prompt", false)
	if p.IgnitionFile == "" && p.IgnitionURL == "" {
		src, err := pr.Input("Ignition config (path or URL; empty for none)")
		if err != nil {
			return err
		}
		if src != "" {
			planconfig.Set(p, "ignition-file", src, "prompt", false)
		}
	}
	if p.RootPasswordHash == "" {
		h, err := prompt.RootPassword(pr)
		if err != nil {
			return err
		}
		if h != "" {
			planconfig.Set(p, "root-password-hash", h, "prompt", false)
		}
	}
	return nil
}

func describeRow(d *disks.Device) []string {
	row := []string{d.Path, disks.HumanSize(d.Size)}
	for _, x := range []string{d.Transport, d.Model} {
		if x != "" {
			row = append(row, x)
		}
	}
	return row
}

// reboot restarts the machine after the install, as the live system's init would.
func reboot() error {
	unix.Sync()
	return unix.Reboot(unix.LINUX_REBOOT_CMD_RESTART)
}
