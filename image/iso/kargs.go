package iso

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/altcos/altcos-tools/installer/kargs"
)

// KargsEdit changes the live kernel arguments of every menu entry (`iso
// kargs modify`, `iso customize --live-karg-*`), in coreos-installer's
// terms. The arguments it acts on are the ISO's own extra ones (Info.LiveArgs);
// each entry's volume label and console arguments stay as built.
type KargsEdit struct {
	Append  []string // KEY or KEY=VALUE, added at the end
	Delete  []string // KEY=VALUE deletes that argument; KEY every KEY and KEY=...
	Replace []string // KEY=OLD=NEW
}

// Empty says whether e changes nothing.
func (e KargsEdit) Empty() bool { return len(e.Append)+len(e.Delete)+len(e.Replace) == 0 }

// Apply returns args with e's deletions, replacements and appends, in that
// order. An argument to delete or replace that is not there is an error
// (a typo must not go unnoticed), as is anything but one argument per value.
func (e KargsEdit) Apply(args []string) ([]string, error) {
	out := slices.Clone(args)
	for _, d := range e.Delete {
		if err := oneKarg("delete", d); err != nil {
			return nil, err
		}
		key, _, hasValue := strings.Cut(d, "=")
		n := len(out)
		out = slices.DeleteFunc(out, func(a string) bool {
			k, _, _ := strings.Cut(a, "=")
			return a == d || (!hasValue && k == key)
		})
		if len(out) == n {
			return nil, notLive(d, args)
		}
	}
	for _, r := range e.Replace {
		key, rest, ok1 := strings.Cut(r, "=")
		old, new, ok2 := strings.Cut(rest, "=")
		if !ok1 || !ok2 || key == "" {
			return nil, fmt.Errorf("live kernel argument replacement %q: give KEY=OLD=NEW", r)
		}
		if err := oneKarg("replace", key+"="+new); err != nil {
			return nil, err
		}
		i := slices.Index(out, key+"="+old)
		if i < 0 {
			return nil, notLive(key+"="+old, args)
		}
		out[i] = key + "=" + new
	}
	for _, a := range e.Append {
		if err := oneKarg("append", a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func oneKarg(what, v string) error {
	a, err := kargs.Parse(v)
	if err != nil || len(a) != 1 || strings.ContainsAny(v, " \t\"") {
		return fmt.Errorf("live kernel argument to %s %q: give one KEY or KEY=VALUE per value", what, v)
	}
	return nil
}

func notLive(a string, args []string) error {
	return fmt.Errorf("live kernel argument %s is not on the ISO (its arguments: %q; the per-entry volume label and consoles cannot be changed)", a, args)
}

// withLiveArgs is info with the live arguments args, remembering the
// arguments as built the first time they change (Reset goes back to them).
func withLiveArgs(info Info, args []string) Info {
	if info.BuiltLiveArgs == nil {
		b := slices.Clone(info.LiveArgs)
		if b == nil {
			b = []string{}
		}
		info.BuiltLiveArgs = &b
	}
	info.LiveArgs = args
	return info
}

// builtInfo is info as the ISO was built: its live arguments then, and no
// record of a change.
func builtInfo(info Info) Info {
	if info.BuiltLiveArgs != nil {
		info.LiveArgs = slices.Clone(*info.BuiltLiveArgs)
		if len(info.LiveArgs) == 0 {
			info.LiveArgs = nil
		}
		info.BuiltLiveArgs = nil
	}
	return info
}

// ModifyKargs is `iso kargs modify`: the live menus with e applied.
func ModifyKargs(ctx context.Context, o EditOptions, e KargsEdit) error {
	in, err := Inspect(o.Input)
	if err != nil {
		return err
	}
	if e.Empty() {
		return fmt.Errorf("no change given: --append, --delete or --replace")
	}
	args, err := e.Apply(in.Info.LiveArgs)
	if err != nil {
		return fmt.Errorf("%s: %w", o.Input, err)
	}
	return rewrite(ctx, o, withLiveArgs(in.Info, args), nil, nil)
}

// ResetKargs is `iso kargs reset`: the live menus as built.
func ResetKargs(ctx context.Context, o EditOptions) error {
	in, err := Inspect(o.Input)
	if err != nil {
		return err
	}
	return rewrite(ctx, o, builtInfo(in.Info), nil, nil)
}
