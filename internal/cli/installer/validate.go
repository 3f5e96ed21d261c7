package installercli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/altcos/altcos-tools/deployarchive"
	"github.com/altcos/altcos-tools/installer/ignition"
	"github.com/altcos/altcos-tools/internal/cli"
	"github.com/altcos/altcos-tools/internal/stdio"
)

// readAll reads a config from standard input, up to 64 MiB.
func readAll(r io.Reader) ([]byte, error) { return io.ReadAll(io.LimitReader(r, 64<<20)) }

// liveSpec is the Ignition spec the deploy archive on the live medium reads, if there is one.
func liveSpec() string {
	b, err := os.ReadFile(deployarchive.LiveMount + "/" + deployarchive.MediumDir + "/" + deployarchive.ManifestName)
	if err != nil {
		return ""
	}
	var m deployarchive.Manifest
	if json.Unmarshal(b, &m) != nil {
		return ""
	}
	return m.IgnitionSpec
}

// validate is `altcos-installer validate [--spec X.Y.Z] [--json] [-o OUT] CONFIG`.
func validate(args []string, io stdio.Stdio) error {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(io.Err)
	spec := fs.String("spec", "", "highest Ignition spec the target OS reads (default: the live medium's manifest, else "+ignition.DefaultOSSpec+")")
	asJSON := fs.Bool("json", false, "print the verdict as JSON")
	out := fs.String("o", "", "write the Ignition JSON (the translation, for Butane) to this file")
	fs.Usage = func() {
		fmt.Fprint(io.Err, "Usage: altcos-installer validate [--spec X.Y.Z] [--json] [-o OUT.ign] CONFIG\n\nChecks an Ignition (JSON) or Butane (YAML) config as the installer would; errors carry JSON paths.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if help, err := cli.ParseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("give one CONFIG file (- for stdin)")
	}
	name := fs.Arg(0)
	var data []byte
	var err error
	if name == "-" {
		data, err = readAll(io.In)
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return usagef("%s: %v", name, errors.Unwrap(err))
	}
	ceiling := *spec
	if ceiling == "" {
		ceiling = liveSpec()
	}
	if ceiling == "" {
		ceiling = ignition.DefaultOSSpec
	}
	res, err := ignition.Check(name, data, ceiling)
	type verdict struct {
		Valid    bool               `json:"valid"`
		Spec     string             `json:"spec,omitempty"`
		Butane   string             `json:"butane,omitempty"`
		MaxSpec  string             `json:"max_spec"`
		Error    string             `json:"error,omitempty"`
		Problems []ignition.Problem `json:"problems,omitempty"`
	}
	v := verdict{Valid: err == nil, MaxSpec: ceiling}
	var ie *ignition.InvalidError
	if err != nil {
		v.Error = err.Error()
		if errors.As(err, &ie) {
			v.Problems = ie.Problems
		}
	} else {
		v.Spec, v.Butane, v.Problems = res.Spec, res.Butane, res.Problems
	}
	if *asJSON {
		enc := json.NewEncoder(io.Out)
		enc.SetIndent("", "  ")
		enc.Encode(v)
	} else {
		for _, p := range v.Problems {
			fmt.Fprintf(io.Out, "%s: %s\n", name, p)
		}
		if err == nil {
			from := ""
			if res.Butane != "" {
				from = " (translated from Butane " + res.Butane + ")"
			}
			fmt.Fprintf(io.Out, "%s: valid, Ignition spec %s%s; the OS reads up to %s\n", name, res.Spec, from, ceiling)
		}
	}
	if err != nil {
		return &stdio.UsageError{Msg: err.Error()} // whatever the error's type: the config is bad input
	}
	if *out != "" {
		if err := os.WriteFile(*out, res.Config, 0o600); err != nil {
			return fmt.Errorf("write %s: %w", *out, err)
		}
	}
	return nil
}
