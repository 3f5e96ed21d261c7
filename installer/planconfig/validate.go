package planconfig

import (
	"fmt"
	"io"
	"net/url"
	"reflect"
	"regexp"
	"strings"

	"github.com/altcos/altcos-tools/deployarchive"
	"github.com/altcos/altcos-tools/installer"
	"github.com/altcos/altcos-tools/installer/ignition"
	"github.com/altcos/altcos-tools/installer/kargs"
	layout "github.com/altcos/altcos-tools/installer/partition"
	"github.com/altcos/altcos-tools/installer/password"
)

// Platforms are the ignition.platform.id values the installer writes.
var Platforms = []string{"metal", "qemu"}

var (
	consoleRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*(,[A-Za-z0-9]+)?$`)
	streamRe  = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)
	sha256Re  = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// Finish fills what follows from the other fields: the deploy archive on the
// live medium when no other is given (neither a file, a URL, nor a stream
// with its base URL).
func Finish(p *installer.Plan) {
	p.ImageSHA256 = strings.ToLower(strings.TrimPrefix(p.ImageSHA256, "sha256-"))
	if p.ImageFile == "" && p.ImageURL == "" && p.StreamBaseURL == "" {
		p.ImageFile = deployarchive.LiveArchive
		p.Origin["image-file"] = "live medium"
	}
	if p.CopyNetwork && p.NetworkDir == "" {
		p.NetworkDir = installer.DefaultNetworkDir
		p.Origin["network-dir"] = "default (the live system's network)"
	}
	if p.Stream != "" && p.StreamBaseURL == "" && !contains(p.Warnings, StreamWarning) {
		p.Warnings = append(p.Warnings, StreamWarning)
	}
	if p.Insecure && !contains(p.Warnings, InsecureWarning) {
		p.Warnings = append(p.Warnings, InsecureWarning)
	}
}

// Validate checks a resolved plan before anything is fetched or written. It
// does not need the device to exist: the install's first step checks that.
func Validate(p *installer.Plan) error {
	o := func(key string) string {
		if s := p.Origin[key]; s != "" {
			return s
		}
		return key
	}
	if p.Device == "" {
		return errorf("no target disk; give DEVICE (see altcos-installer list-disks), or altcos.inst.install_dev= on the kernel command line")
	}
	if p.IgnitionFile != "" && p.IgnitionURL != "" {
		return errorf("both an Ignition file (%s) and URL (%s) given; keep one", o("ignition-file"), o("ignition-url"))
	}
	if src := p.IgnitionURL + p.IgnitionFile; src != "" {
		s, err := ignition.ParseSource(src)
		if err != nil {
			return errorf("%s: %v", o(pick(p.IgnitionURL != "", "ignition-url", "ignition-file")), err)
		}
		if p.IgnitionHash != "" {
			if _, _, err := ignition.ParseHash(p.IgnitionHash); err != nil {
				return errorf("%s: %v", o("ignition-hash"), err)
			}
		}
		if s.Kind == ignition.HTTP && s.URL.Scheme == "http" && p.IgnitionHash == "" && !p.InsecureIgnition {
			hint := ""
			if p.Insecure {
				hint = fmt.Sprintf(" (%s: insecure allows an unsigned image, as in Fedora CoreOS; it does not cover Ignition)", o("insecure"))
			}
			return errorf("%s: plain http without --ignition-hash can be altered on the way; give --ignition-hash sha256-<hex>, use https, or pass --insecure-ignition (kernel argument altcos.inst.insecure_ignition)%s", s, hint)
		}
	} else if p.IgnitionHash != "" {
		return errorf("%s: a hash without an Ignition config; give -i FILE or -I URL", o("ignition-hash"))
	}
	if !contains(Platforms, p.Platform) {
		return errorf("%s: platform %q unknown; use one of %s", o("platform"), p.Platform, strings.Join(Platforms, ", "))
	}
	if p.RootPasswordHash != "" && !password.LooksValid(p.RootPasswordHash) {
		return errorf("%s: the root password hash is not a crypt(3) hash; make one with altcos-installer hash-password", o("root-password-hash"))
	}
	if p.FetchRetries < -1 {
		return errorf("%s: fetch retries %d; use a count or infinite", o("fetch-retries"), p.FetchRetries)
	}
	for _, list := range []struct {
		key  string
		vals []string
	}{{"append-karg", p.AppendKargs}, {"delete-karg", p.DeleteKargs}} {
		for _, v := range list.vals {
			a, err := kargs.Parse(v)
			if err != nil || len(a) != 1 || strings.ContainsAny(v, " \t\"") {
				return errorf("%s: %q is not one kernel argument; give one KEY or KEY=VALUE per flag", o(list.key), v)
			}
		}
	}
	for _, c := range p.Console {
		if !consoleRe.MatchString(c) {
			return errorf("%s: console %q; use a name and options like ttyS0,115200n8 or tty0", o("console"), c)
		}
	}
	if p.SSHHostKey != "" && !strings.HasPrefix(p.SSHHostKey, "SHA256:") {
		return errorf("%s: give the host key as SHA256:<base64>, as ssh-keygen -lf prints it", o("ssh-host-key"))
	}
	if p.ImageURL != "" {
		u, err := url.Parse(p.ImageURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return errorf("%s: the image URL must be an http(s) URL to a deploy archive", o("image-url"))
		}
		if p.ImageFile != "" && p.Origin["image-file"] != "live medium" {
			return errorf("both an image file (%s) and an image URL (%s); keep one", o("image-file"), o("image-url"))
		}
	}
	if p.Stream != "" && !streamRe.MatchString(p.Stream) {
		return errorf("%s: stream %q; use a name like sisyphus or p10", o("stream"), p.Stream)
	}
	if p.StreamBaseURL != "" {
		u, err := url.Parse(p.StreamBaseURL)
		switch {
		case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
			return errorf("%s: the stream base URL must be an http(s) URL of the folder holding <stream>.json, e.g. http://HOST:PORT/streams/", o("stream-base-url"))
		case p.Stream == "":
			return errorf("%s: a stream base URL without a stream; give --stream (altcos.inst.stream), e.g. sisyphus", o("stream-base-url"))
		case p.ImageURL != "" || (p.ImageFile != "" && p.Origin["image-file"] != "live medium"):
			return errorf("both a stream to download (%s) and an image (%s); keep one", o("stream-base-url"), o(pick(p.ImageURL != "", "image-url", "image-file")))
		}
	}
	if p.ImageSHA256 != "" && !sha256Re.MatchString(p.ImageSHA256) {
		return errorf("%s: %q is not a sha256 (64 hex digits, as sha256sum prints it)", o("image-sha256"), p.ImageSHA256)
	}
	if p.MinDiskBytes < 0 {
		return errorf("%s: negative minimum disk size", o("min-disk-bytes"))
	}
	for _, g := range p.SavePartLabel {
		if err := (layout.Selector{Labels: []string{g}}).Check(); err != nil {
			return errorf("%s: %v; give a GPT partition name or a glob like data*", o("save-partlabel"), err)
		}
	}
	for _, x := range p.SavePartIndex {
		if _, err := layout.ParseIndexRange(x); err != nil {
			return errorf("%s: %v", o("save-partindex"), err)
		}
	}
	if p.NetworkDir != "" && !p.CopyNetwork {
		return errorf("%s: a network folder without copy-network; add --copy-network (kernel argument altcos.inst.copy_network)", o("network-dir"))
	}
	if p.CopyNetwork {
		if _, err := installer.ReadNetworkDir(p.NetworkDir); err != nil {
			return errorf("%s: %v", o("network-dir"), err)
		}
	}
	for _, h := range []struct {
		key   string
		files []string
	}{{"pre-install", p.PreInstall}, {"post-install", p.PostInstall}} {
		for _, f := range h.files {
			if _, err := installer.HookArgv(f); err != nil {
				return errorf("%s: %v", o(h.key), err)
			}
		}
	}
	return nil
}

func pick(c bool, a, b string) string {
	if c {
		return a
	}
	return b
}

// Entry is one setting of a plan as shown to people: its YAML key, its
// value with secrets hidden, and where it came from.
type Entry struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Origin string `json:"origin"`
}

// Entries lists every setting of p in the Plan's field order.
func Entries(p *installer.Plan) []Entry {
	t := reflect.TypeOf(*p)
	v := reflect.ValueOf(*p)
	var out []Entry
	for i := 0; i < t.NumField(); i++ {
		key, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if key == "" || key == "-" {
			continue
		}
		origin := p.Origin[key]
		if origin == "" {
			origin = "unset"
		}
		out = append(out, Entry{Key: key, Value: show(key, v.Field(i)), Origin: origin})
	}
	if p.ImageMode {
		out = append(out, Entry{Key: "image-mode", Value: "true", Origin: "target is a regular file"})
	}
	return out
}

// Print writes the plan, one setting per line with where it came from. Secrets
// are not printed: the root password hash shows as set, URLs lose credentials.
func Print(w io.Writer, p *installer.Plan) {
	fmt.Fprintln(w, "Install plan:")
	for _, e := range Entries(p) {
		fmt.Fprintf(w, "  %-19s %-40s (%s)\n", e.Key, e.Value, e.Origin)
	}
}

func show(key string, f reflect.Value) string {
	switch key {
	case "root-password-hash":
		if f.String() != "" {
			return "(set, not shown)"
		}
		return "-"
	case "ignition-url", "ignition-file", "image-url", "stream-base-url":
		if f.String() == "" {
			return "-"
		}
		s, err := ignition.ParseSource(f.String())
		if err != nil {
			return "(invalid, not shown)"
		}
		return s.String()
	}
	switch f.Kind() {
	case reflect.Slice:
		if f.Len() == 0 {
			return "-"
		}
		return strings.Join(f.Interface().([]string), " ")
	case reflect.String:
		if f.String() == "" {
			return "-"
		}
	case reflect.Int, reflect.Int64:
		if key == "fetch-retries" && f.Int() == -1 {
			return "infinite"
		}
	}
	return fmt.Sprint(f.Interface())
}
