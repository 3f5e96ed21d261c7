// Package ignition gets the Ignition config of the installed system: from a
// local file, file://, http(s)://, scp or a data: URL, checked against a
// given hash, translated from Butane when it is Butane, and validated with
// ignition/v2 against the highest spec the target OS reads, all before the
// installer writes anything.
package ignition

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/coreos/go-semver/semver"
	butane "github.com/coreos/ignition/v2/butane/config"
	butanecommon "github.com/coreos/ignition/v2/butane/config/common"
	"github.com/coreos/ignition/v2/config/util"
	v36 "github.com/coreos/ignition/v2/config/v3_6"
	v36types "github.com/coreos/ignition/v2/config/v3_6/types"
	"github.com/coreos/vcontext/report"
	"gopkg.in/yaml.v3"
)

// MaxSpec is the newest Ignition spec this installer validates (ignition/v2's
// config/v3_6). The OS's own Ignition may read less: see Result and Validate's maxSpec.
const MaxSpec = "3.6.0"

// DefaultOSSpec is the ceiling used when the deploy archive does not say:
// Debian bookworm's Ignition 2.14 reads spec 3.3 at most.
const DefaultOSSpec = "3.3.0"

// Problem is one finding of validation, with the JSON path into the config.
type Problem struct {
	Severity string `json:"severity"` // error, warning, info
	Path     string `json:"path,omitempty"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	Message  string `json:"message"`
}

func (p Problem) String() string {
	at := ""
	if p.Path != "" {
		at = " at " + p.Path
	}
	if p.Line > 0 {
		at += fmt.Sprintf(" (line %d col %d)", p.Line, p.Column)
	}
	return p.Severity + at + ": " + p.Message
}

// Result is the verdict on one config.
type Result struct {
	// Config is the Ignition JSON for the installed system: the input itself
	// when it was Ignition, the translation when it was Butane.
	Config   []byte    `json:"-"`
	Spec     string    `json:"spec"`             // the Ignition spec version of Config
	Butane   string    `json:"butane,omitempty"` // "fcos 1.4.0" when translated from Butane
	Problems []Problem `json:"problems,omitempty"`
}

// InvalidError is a config that must not be installed. Its message names the
// input (never its contents) and what to do.
type InvalidError struct {
	Name     string // how the input is shown: a path or a redacted URL
	Reason   string
	Problems []Problem
}

func (e *InvalidError) Error() string {
	msg := e.Name + ": " + oneLine(e.Reason)
	var errs []string
	for _, p := range e.Problems {
		if p.Severity == "error" {
			errs = append(errs, oneLine(strings.TrimPrefix(p.String(), "error ")))
		}
	}
	if len(errs) > 0 {
		msg += ": " + strings.Join(errs, "; ")
	}
	return msg
}

var backticked = regexp.MustCompile("`[^`]*`")

// oneLine keeps library messages on one line and drops the config values
// that YAML errors quote in backticks (they may be secrets).
func oneLine(s string) string {
	s = backticked.ReplaceAllString(s, "<value>")
	return strings.Join(strings.Fields(s), " ")
}

// Validate checks data (Ignition JSON, or Butane YAML with a variant) for an
// OS whose Ignition reads at most maxSpec ("" means DefaultOSSpec) and returns
// the Ignition JSON to install. The ISO tooling uses it to check a config
// before embedding it.
func Validate(data []byte, maxSpec string) ([]byte, error) {
	r, err := Check("config", data, maxSpec)
	if err != nil {
		return nil, err
	}
	return r.Config, nil
}

// Check is Validate with the full verdict; name is how errors show the input.
func Check(name string, data []byte, maxSpec string) (*Result, error) {
	if maxSpec == "" {
		maxSpec = DefaultOSSpec
	}
	ceiling, err := semver.NewVersion(maxSpec)
	if err != nil {
		return nil, fmt.Errorf("highest Ignition spec %q of the target OS: %w", maxSpec, err)
	}
	if lim := semver.New(MaxSpec); lim.LessThan(*ceiling) {
		ceiling = lim
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, &InvalidError{Name: name, Reason: "the config is empty; give an Ignition (JSON) or Butane (YAML) config"}
	}
	if trimmed[0] == '{' {
		return checkIgnition(name, data, *ceiling, "")
	}
	var doc struct {
		Variant string `yaml:"variant"`
		Version string `yaml:"version"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &InvalidError{Name: name, Reason: "neither JSON (Ignition) nor YAML (Butane); give an Ignition or Butane config"}
	}
	if doc.Variant == "" {
		return nil, &InvalidError{Name: name, Reason: "YAML without a \"variant:\" key is not Butane; add \"variant: fcos\" and \"version:\", or give Ignition JSON"}
	}
	return checkButane(name, data, doc.Variant, doc.Version, *ceiling)
}

func problems(r report.Report) []Problem {
	var out []Problem
	for _, e := range r.Entries {
		p := Problem{Severity: e.Kind.String(), Message: e.Message}
		if e.Context.Len() > 0 {
			p.Path = e.Context.String()
		}
		if e.Marker.StartP != nil {
			p.Line, p.Column = int(e.Marker.StartP.Line), int(e.Marker.StartP.Column)
		}
		out = append(out, p)
	}
	return out
}

// butaneSpecs maps Butane variant versions to the Ignition spec they produce,
// newest first, for the variants that target a general-purpose OS.
var butaneSpecs = map[string][][2]string{
	"fcos":    {{"1.7.0", "3.6.0"}, {"1.6.0", "3.5.0"}, {"1.5.0", "3.4.0"}, {"1.4.0", "3.3.0"}, {"1.3.0", "3.2.0"}, {"1.2.0", "3.2.0"}, {"1.1.0", "3.1.0"}, {"1.0.0", "3.0.0"}},
	"flatcar": {{"1.1.0", "3.4.0"}, {"1.0.0", "3.3.0"}},
	"r4e":     {{"1.1.0", "3.4.0"}, {"1.0.0", "3.3.0"}},
	"fiot":    {{"1.0.0", "3.4.0"}},
}

// butaneFor returns the newest version of variant that yields a spec the OS reads.
func butaneFor(variant string, ceiling semver.Version) string {
	for _, vs := range butaneSpecs[variant] {
		if !ceiling.LessThan(*semver.New(vs[1])) {
			return vs[0]
		}
	}
	return ""
}

func checkButane(name string, data []byte, variant, version string, ceiling semver.Version) (*Result, error) {
	out, rpt, err := butane.TranslateBytes(data, butanecommon.TranslateBytesOptions{Raw: true})
	probs := problems(rpt)
	if err != nil {
		return nil, &InvalidError{Name: name, Reason: fmt.Sprintf("Butane (variant %s version %s) does not translate: %v", variant, version, err), Problems: probs}
	}
	spec, _, err := util.GetConfigVersion(out)
	if err != nil {
		return nil, &InvalidError{Name: name, Reason: fmt.Sprintf("Butane translation has no spec version: %v", err)}
	}
	used := variant + " " + version
	if ceiling.LessThan(spec) {
		// Translate again with the newest variant version the OS reads; this
		// works when the config uses nothing newer.
		lower := butaneFor(variant, ceiling)
		if lower == "" {
			return nil, &InvalidError{Name: name, Reason: fmt.Sprintf("Butane variant %s version %s yields Ignition spec %s, newer than the %s the target OS reads; no %s version yields it, use variant fcos version %s", variant, version, spec, ceiling, variant, butaneFor("fcos", ceiling))}
		}
		redone, err := withVersion(data, lower)
		if err == nil {
			out, rpt, err = butane.TranslateBytes(redone, butanecommon.TranslateBytesOptions{Raw: true})
		}
		if err == nil && len(rpt.Entries) > 0 {
			// The older version ignores (and so would drop) what it does not know.
			err = errors.New("it would ignore " + oneLine(rpt.Entries[0].String()))
		}
		if err != nil {
			return nil, &InvalidError{Name: name, Reason: fmt.Sprintf("Butane variant %s version %s yields Ignition spec %s, newer than the %s the target OS reads, and the config uses features version %s lacks: %v; rewrite it for version %s", variant, version, spec, ceiling, lower, err, lower), Problems: problems(rpt)}
		}
		probs = append(probs, Problem{Severity: "info", Message: fmt.Sprintf("translated as %s version %s (Ignition spec %s): the target OS reads at most %s", variant, lower, butaneSpecMap(variant, lower), ceiling)})
		used = variant + " " + lower
	}
	res, err := checkIgnition(name, out, ceiling, used)
	if err != nil {
		return nil, err
	}
	res.Problems = append(probs, res.Problems...)
	return res, nil
}

func butaneSpecMap(variant, version string) string {
	for _, vs := range butaneSpecs[variant] {
		if vs[0] == version {
			return vs[1]
		}
	}
	return "?"
}

// withVersion returns the Butane document with its top-level version replaced.
func withVersion(data []byte, version string) ([]byte, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, err
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("not a YAML mapping")
	}
	m := root.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "version" {
			m.Content[i+1].Value = version
			m.Content[i+1].Tag = "!!str"
		}
	}
	return yaml.Marshal(&root)
}

func checkIgnition(name string, data []byte, ceiling semver.Version, fromButane string) (*Result, error) {
	spec, rpt, err := util.GetConfigVersion(data)
	if err != nil {
		return nil, &InvalidError{Name: name, Reason: fmt.Sprintf("not an Ignition config (%v); give JSON with \"ignition\": {\"version\": \"%s\"}", err, ceiling), Problems: problems(rpt)}
	}
	if ceiling.LessThan(spec) {
		hint := fmt.Sprintf("write \"version\": \"%s\" and use only what that spec has", ceiling)
		if b := butaneFor("fcos", ceiling); b != "" {
			hint += fmt.Sprintf(" (Butane: variant fcos version %s)", b)
		}
		return nil, &InvalidError{Name: name, Reason: fmt.Sprintf("Ignition spec %s is newer than the %s the target OS reads; %s", spec, ceiling, hint)}
	}
	_, rpt, err = v36.ParseCompatibleVersion(data)
	probs := problems(rpt)
	for i := range probs {
		if probs[i].Path == "" && probs[i].Line > 0 {
			// Type errors come with a position only; name the value there.
			probs[i].Path = pathAt(data, probs[i].Line, probs[i].Column)
		}
	}
	if err != nil || rpt.IsFatal() {
		reason := "the config has errors; fix them at the JSON paths shown"
		if err != nil && len(probs) == 0 {
			reason = fmt.Sprintf("%v; fix the config", err)
		}
		return nil, &InvalidError{Name: name, Reason: reason, Problems: probs}
	}
	return &Result{Config: data, Spec: spec.String(), Butane: fromButane, Problems: probs}, nil
}

// Parse reads an Ignition config of any 3.x spec this installer knows into
// ignition/v2's types of MaxSpec (older specs translated), for code that
// looks into a config rather than installs it (tests, machine-test fixtures).
func Parse(data []byte) (v36types.Config, error) {
	cfg, r, err := v36.ParseCompatibleVersion(data)
	if err != nil {
		return v36types.Config{}, fmt.Errorf("parse the Ignition config: %w: %s", err, oneLine(r.String()))
	}
	return cfg, nil
}
