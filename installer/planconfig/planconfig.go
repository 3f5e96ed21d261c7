// Package planconfig resolves one installer.Plan from its sources, later
// winning: defaults, config files (/etc/altcos/installer.d/*.yaml in lexical
// order, then --config), kernel arguments (altcos.inst.*, with coreos.inst.*
// as aliases), then flags. Each field's origin is recorded in Plan.Origin
// under its YAML key, so --dry-run can say where every value came from.
package planconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/altcos/altcos-tools/installer"
	"github.com/altcos/altcos-tools/installer/disks"
	"github.com/altcos/altcos-tools/installer/kargs"
	"gopkg.in/yaml.v3"
)

// DefaultConfigDir holds the installer's drop-in YAML files.
const DefaultConfigDir = "/etc/altcos/installer.d"

// Error is bad input in a plan source: a config file, a kernel argument, a flag value.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func errorf(format string, a ...any) error { return &Error{Msg: fmt.Sprintf(format, a...)} }

// Defaults returns a plan with the defaults and their origin.
func Defaults() *installer.Plan {
	p := &installer.Plan{Platform: "metal", MinDiskBytes: disks.DefaultMinBytes, Origin: map[string]string{}}
	for _, k := range []string{"platform", "min-disk-bytes", "fetch-retries"} {
		p.Origin[k] = "default"
	}
	return p
}

// fields maps YAML keys to the Plan's settable fields.
func fields() map[string]int {
	t := reflect.TypeOf(installer.Plan{})
	m := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if tag != "" && tag != "-" {
			m[tag] = i
		}
	}
	return m
}

// Keys lists the YAML keys a config file may use, sorted.
func Keys() []string {
	var ks []string
	for k := range fields() {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Set sets the field with YAML key key from its text form. For list fields
// append adds to the list instead of replacing it.
func Set(p *installer.Plan, key, value, origin string, appendList bool) error {
	i, ok := fields()[key]
	if !ok {
		return errorf("unknown setting %q; known: %s", key, strings.Join(Keys(), ", "))
	}
	f := reflect.ValueOf(p).Elem().Field(i)
	switch f.Kind() {
	case reflect.String:
		f.SetString(value)
	case reflect.Bool:
		b, err := parseBool(value)
		if err != nil {
			return errorf("%s: %s=%q is not a boolean; use true or false", origin, key, value)
		}
		f.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := parseInt(key, value)
		if err != nil {
			return errorf("%s: %s=%q: %v", origin, key, value, err)
		}
		f.SetInt(n)
	case reflect.Slice:
		vals := []string{value}
		if key == "save-partlabel" || key == "save-partindex" {
			vals = strings.Split(value, ",") // as coreos-installer reads them
		}
		if !appendList {
			f.Set(reflect.ValueOf([]string(nil)))
		}
		for _, v := range vals {
			f.Set(reflect.Append(f, reflect.ValueOf(v)))
		}
	}
	if p.Origin == nil {
		p.Origin = map[string]string{}
	}
	p.Origin[key] = origin
	return nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "", "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	}
	return false, errors.New("not a boolean")
}

func parseInt(key, s string) (int64, error) {
	if key == "fetch-retries" && s == "infinite" {
		return -1, nil
	}
	if key == "min-disk-bytes" {
		return parseSize(s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, errors.New("not a number")
	}
	return n, nil
}

// parseSize reads bytes with an optional K, M, G, T suffix (powers of 1024).
func parseSize(s string) (int64, error) {
	mult := int64(1)
	t := strings.TrimSuffix(strings.ToUpper(s), "B")
	t = strings.TrimSuffix(t, "I")
	if n := len(t); n > 0 {
		if i := strings.IndexByte("KMGT", t[n-1]); i >= 0 {
			mult = 1 << (10 * (i + 1))
			t = t[:n-1]
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	// Sizes are int64 bytes: 8388607T is the largest that fits; a bigger
	// one must not wrap round to a negative or small size.
	tooLarge := errors.New("too large; at most 8388607T (9223372036854775807 bytes)")
	if errors.Is(err, strconv.ErrRange) && n > 0 {
		return 0, tooLarge
	}
	if err != nil || n < 0 {
		return 0, errors.New("not a size; use bytes or a number with K, M, G, T")
	}
	if n > math.MaxInt64/mult {
		return 0, tooLarge
	}
	return n * mult, nil
}

// ApplyYAML applies one config file (name is how errors and origins name it).
// Unknown keys are refused so that a typo does not silently change an install.
func ApplyYAML(p *installer.Plan, data []byte, name string) error {
	var doc map[string]yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return errorf("config %s: not YAML (%s); fix the file", name, firstLine(err.Error()))
	}
	if n, ok := doc["fetch-retries"]; ok && n.Value == "infinite" {
		// "infinite" is accepted as in the flag; the typed decode wants -1.
		var root yaml.Node
		if err := yaml.Unmarshal(data, &root); err == nil && len(root.Content) == 1 {
			m := root.Content[0]
			for i := 0; i+1 < len(m.Content); i += 2 {
				if m.Content[i].Value == "fetch-retries" {
					m.Content[i+1].Value, m.Content[i+1].Tag = "-1", "!!int"
				}
			}
			if b, err := yaml.Marshal(&root); err == nil {
				data = b
			}
		}
	}
	var typed installer.Plan
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&typed); err != nil && err != io.EOF {
		msg := oneLine(strings.TrimPrefix(err.Error(), "yaml: unmarshal errors:"))
		if strings.Contains(msg, "not found in type") {
			msg += "; the keys are: " + strings.Join(Keys(), ", ")
		}
		return errorf("config %s: %s", name, msg)
	}
	fs := fields()
	src := reflect.ValueOf(typed)
	dst := reflect.ValueOf(p).Elem()
	var keys []string
	for k := range doc {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		i := fs[k]
		dst.Field(i).Set(src.Field(i))
		p.Origin[k] = "config " + name
	}
	return nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}

// ApplyDir applies dir/*.yaml in lexical order; a missing dir is no error.
func ApplyDir(p *installer.Plan, dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return err
	}
	sort.Strings(files)
	for _, f := range files {
		if err := ApplyFile(p, f); err != nil {
			return err
		}
	}
	return nil
}

// ApplyFile applies one YAML file.
func ApplyFile(p *installer.Plan, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return errorf("config %s: %v; check the path", path, errors.Unwrap(err))
	}
	return ApplyYAML(p, data, path)
}

// ApplyKargs applies the installer's kernel arguments in cmdline (name is
// where it was read, e.g. /proc/cmdline). altcos.inst.* wins over the same
// coreos.inst.* whatever their order. It reports whether any was present:
// a kernel-argument install is unattended.
func ApplyKargs(p *installer.Plan, cmdline, name string) (bool, error) {
	args, err := kargs.Parse(cmdline)
	if err != nil {
		return false, errorf("%s: %v", name, err)
	}
	type val struct {
		vals   []string
		origin string
	}
	got := map[string]*val{}
	var order []string
	for _, a := range args {
		if a.Key == "coreos.inst" || a.Key == "altcos.inst" {
			// Fedora CoreOS's old switch; it warns and carries on, as here.
			p.Warnings = append(p.Warnings, a.String()+": not needed (deprecated in Fedora CoreOS); the "+a.Key+".* arguments start the install")
		}
	}
	for _, prefix := range []string{"coreos.inst.", "altcos.inst."} {
		seen := map[string]bool{}
		for _, a := range args {
			sub, ok := strings.CutPrefix(a.Key, prefix)
			if !ok {
				continue
			}
			spec, known := findKarg(sub)
			if !known {
				return false, errorf("%s: unknown kernel argument %s; the installer reads %s* with: %s", name, a.Key, prefix, kargNames())
			}
			key, isBool := spec.Key, spec.Kind == KargBool
			if isBool && a.HasValue && a.Value == "" {
				a.Value = "false" // KEY= is false, as coreos-installer reads it
			}
			if spec.Refuse != "" {
				if on, err := parseBool(a.Value); isBool && a.HasValue && err == nil && !on {
					continue // secure_ipl=0 asks for nothing
				}
				return false, errorf("%s: kernel argument %s: %s", name, a.Key, spec.Refuse)
			}
			if !a.HasValue && !isBool {
				return false, errorf("%s: kernel argument %s needs a value: %s=VALUE", name, a.Key, a.Key)
			}
			if a.HasValue && a.Value == "" && !isBool {
				return false, errorf("%s: kernel argument %s= is empty; give a value or drop it", name, a.Key)
			}
			v := a.Value
			if !a.HasValue {
				v = "true"
			}
			if key == "dest-device" && !strings.HasPrefix(v, "/") {
				v = "/dev/" + v // coreos.inst.install_dev=sda
			}
			if !seen[key] {
				got[key] = &val{origin: "kernel argument " + a.Key}
				if !contains(order, key) {
					order = append(order, key)
				}
				seen[key] = true
			}
			if spec.Warn != "" && !contains(p.Warnings, a.Key+": "+spec.Warn) {
				p.Warnings = append(p.Warnings, a.Key+": "+spec.Warn)
			}
			g := got[key]
			switch spec.Kind {
			case KargRepeat:
				g.vals = append(g.vals, v)
			case KargCommaList:
				for _, x := range strings.Split(v, ",") {
					if x != "" {
						g.vals = append(g.vals, x)
					}
				}
			default:
				g.vals = []string{v}
			}
		}
	}
	for _, key := range order {
		g := got[key]
		if key == "ignition-url" && g.vals[0] == "skip" {
			p.IgnitionURL, p.IgnitionFile = "", ""
			p.Origin[key] = g.origin
			continue
		}
		for i, v := range g.vals {
			if err := Set(p, key, v, g.origin, i > 0); err != nil {
				return false, errorf("%s: %v", name, err)
			}
		}
	}
	return len(order) > 0, nil
}

func contains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}
