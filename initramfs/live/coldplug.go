package live

import (
	"os"
	"path"
	"path/filepath"
	"strings"
)

// coldplug loads drivers for the devices present, the way udev's coldplug
// does: a device's modalias (/sys/bus/*/devices/*/modalias) is matched
// against the aliases of modules.alias. Under emulation every module costs
// boot time (signature check, relocation), so the live init loads only the
// drivers of hardware it has before the hints, and everything else after.
type coldplug struct {
	aliases []aliasEntry
	allowed map[string]bool
	done    map[string]bool
}

type aliasEntry struct{ pattern, module string }

// newColdplug reads modules.alias of the kernel's module folder under root;
// allowed are the module names it may load. It returns nil without a
// modules.alias (then the caller loads every module).
func newColdplug(env Env, allowed []string) *coldplug {
	dirs, _ := filepath.Glob(env.path("/lib/modules/*/modules.alias"))
	if len(dirs) != 1 {
		return nil
	}
	data, err := os.ReadFile(dirs[0])
	if err != nil {
		return nil
	}
	c := &coldplug{allowed: map[string]bool{}, done: map[string]bool{}}
	for _, m := range allowed {
		c.allowed[normModule(m)] = true
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		// Device aliases are bus:...; "fs-iso9660" and the like are not.
		if len(f) == 3 && f[0] == "alias" && strings.Contains(f[1], ":") && c.allowed[normModule(f[2])] {
			c.aliases = append(c.aliases, aliasEntry{f[1], normModule(f[2])})
		}
	}
	return c
}

func normModule(m string) string { return strings.ReplaceAll(m, "-", "_") }

// unconditional are the allowed modules no device asks for (filesystems).
func (c *coldplug) unconditional() []string {
	byAlias := map[string]bool{}
	for _, a := range c.aliases {
		byAlias[a.module] = true
	}
	var out []string
	for m := range c.allowed {
		if !byAlias[m] {
			out = append(out, m)
		}
	}
	return out
}

// step loads the drivers of devices not served yet and reports how many
// modules it loaded. New devices appear as drivers bind (an ATA controller's
// driver reveals its CD drive), so callers repeat it.
func (c *coldplug) step(env Env) int {
	load := c.match(env)
	if len(load) > 0 && env.LoadModules != nil {
		for _, err := range env.LoadModules(load) {
			env.warn("%v", err)
		}
	}
	return len(load)
}

// match returns the drivers of devices not served yet, marking them served.
func (c *coldplug) match(env Env) []string {
	files, _ := filepath.Glob(env.path("/sys/bus/*/devices/*/modalias"))
	var load []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		alias := strings.TrimSpace(string(data))
		for _, a := range c.aliases {
			if c.done[a.module] {
				continue
			}
			if ok, _ := path.Match(a.pattern, alias); ok {
				c.done[a.module] = true
				load = append(load, a.module)
			}
		}
	}
	return load
}
