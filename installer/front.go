package installer

// Front-half steps: check the target, fetch and validate the Ignition config,
// and ask the operator. None of them writes anything.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/altcos/altcos-tools/installer/disks"
	"github.com/altcos/altcos-tools/installer/ignition"
)

// TargetError is a target that must not be installed to: unknown, a
// partition, busy, read-only, too small, the live medium. It is the
// operator's input that is wrong, not the disk.
type TargetError struct {
	Device string
	Reason string
}

func (e *TargetError) Error() string { return e.Device + ": " + e.Reason }

// ErrAborted is the operator's "no" at the wipe prompt; nothing was written.
var ErrAborted = errors.New("aborted at the confirmation prompt; nothing was written")

// ErrNeedConfirm is an install that would wipe a disk with nobody to ask.
var ErrNeedConfirm = errors.New("the install wipes the target and there is no terminal to ask; pass --yes to confirm")

func sysRoot(env Env) string {
	if env.SysRoot == "" {
		return "/"
	}
	return env.SysRoot
}

// findTarget discovers the disks and returns the one the plan names.
func findTarget(p *Plan, env Env) (*disks.Device, error) {
	root := sysRoot(env)
	devs, err := disks.List(root, disks.Options{MinBytes: p.MinDiskBytes, All: true})
	if err != nil {
		return nil, fmt.Errorf("discover disks under %s: %w", root, err)
	}
	name := p.Device
	// /dev/disk/by-id/... and other links name the device they point to.
	if real, err := filepath.EvalSymlinks(filepath.Join(root, name)); err == nil {
		if rel, err := filepath.Rel(root, real); err == nil && !strings.HasPrefix(rel, "..") {
			name = "/" + rel
		}
	}
	d := disks.Find(devs, name)
	if d == nil {
		reason := "no such disk; see the disks with altcos-installer list-disks"
		if !strings.HasPrefix(p.Device, "/dev/") {
			reason += ", or pass --image-mode to create an image file"
		}
		return nil, &TargetError{Device: p.Device, Reason: reason}
	}
	for _, top := range devs {
		if top == d {
			return d, nil
		}
	}
	switch {
	case d.Type == "part":
		parent := ""
		for _, top := range devs {
			for _, c := range top.Children {
				if c == d {
					parent = top.Path
				}
			}
		}
		return nil, &TargetError{Device: p.Device, Reason: fmt.Sprintf("a partition, not a disk; give the whole disk %s", parent)}
	default:
		return nil, &TargetError{Device: p.Device, Reason: fmt.Sprintf("a %s device built on other disks; give a disk", d.Type)}
	}
}

// checkTarget refuses a target that cannot be installed to, before anything is fetched.
func checkTarget(ctx context.Context, s *state) error {
	p := s.plan
	if p.ImageMode {
		fi, err := os.Stat(p.Device)
		switch {
		case err == nil && !fi.Mode().IsRegular():
			return &TargetError{Device: p.Device, Reason: "image mode needs a regular file; give a file path or drop --image-mode"}
		case errors.Is(err, os.ErrNotExist):
			if _, err := os.Stat(filepath.Dir(p.Device)); err != nil {
				return &TargetError{Device: p.Device, Reason: "its folder does not exist; create it or choose another path"}
			}
		case err != nil:
			return fmt.Errorf("check image file %s: %w", p.Device, err)
		}
		return readKept(s)
	}
	d, err := findTarget(p, s.env)
	if err != nil {
		return err
	}
	if len(d.Reasons) > 0 {
		return &TargetError{Device: p.Device, Reason: "cannot be the target: " + strings.Join(d.Reasons, "; ")}
	}
	s.env.Log.Info("target disk", "device", d.Path, "size", d.Size, "model", d.Model, "transport", d.Transport)
	return readKept(s)
}

// fetchIgnition fetches the config, checks its hash, translates Butane and
// validates it against the highest spec the deploy archive's OS reads.
func fetchIgnition(ctx context.Context, s *state) error {
	p := s.plan
	srcText := p.IgnitionURL
	if srcText == "" {
		srcText = p.IgnitionFile
	}
	if srcText == "" {
		s.env.Progress.Info("no Ignition config: the installed system boots without one")
		return nil
	}
	src, err := ignition.ParseSource(srcText)
	if err != nil {
		return err
	}
	opt := ignition.Options{
		Hash: p.IgnitionHash, Insecure: p.InsecureIgnition, Retries: p.FetchRetries,
		CABundle: p.CABundle, KnownHosts: p.SSHKnownHosts, HostKey: p.SSHHostKey, Log: s.env.Log,
	}
	if pr := s.env.Prompt; pr != nil {
		opt.AskHostKey = func(host, fp string) (bool, error) {
			return pr.Confirm(fmt.Sprintf("The SSH host key of %s is unknown: %s. Trust it for this install?", host, fp))
		}
		opt.Password = func(label string) (string, error) { return pr.Password(strings.ToUpper(label[:1]) + label[1:]) }
	}
	data, err := ignition.Fetch(ctx, src, opt)
	if err != nil {
		return err
	}
	ceiling := ignition.DefaultOSSpec
	if s.manifest != nil && s.manifest.IgnitionSpec != "" {
		ceiling = s.manifest.IgnitionSpec
	}
	res, err := ignition.Check(src.String(), data, ceiling)
	if err != nil {
		return err
	}
	from := ""
	if res.Butane != "" {
		from = ", translated from Butane " + res.Butane
	}
	s.env.Progress.Info(fmt.Sprintf("Ignition config %s: spec %s%s, %d bytes, valid for an OS reading spec %s", src, res.Spec, from, len(res.Config), ceiling))
	for _, pr := range res.Problems {
		s.env.Progress.Info("  " + pr.String())
	}
	s.ignition = res.Config
	return nil
}

// describe is what the operator sees before typing y.
func describe(d *disks.Device) []string {
	head := fmt.Sprintf("%s  %s", d.Path, disks.HumanSize(d.Size))
	for _, x := range []string{d.Transport, d.Model, d.Serial} {
		if x != "" {
			head += "  " + x
		}
	}
	lines := []string{head}
	if len(d.Children) == 0 && d.FSType != "" {
		lines = append(lines, fmt.Sprintf("  holds a %s filesystem %q", d.FSType, d.Label))
	}
	for _, c := range d.Children {
		l := fmt.Sprintf("  %s  %s", c.Name, disks.HumanSize(c.Size))
		if c.FSType != "" {
			l += "  " + c.FSType
		}
		if c.Label != "" {
			l += fmt.Sprintf("  %q", c.Label)
		}
		lines = append(lines, l)
	}
	if len(d.Children) == 0 && d.FSType == "" {
		lines = append(lines, "  no partitions or filesystem found")
	}
	return lines
}

// confirm shows the target and asks the operator to type y, unless --yes.
func confirm(ctx context.Context, s *state) error {
	p := s.plan
	var lines []string
	question := ""
	if p.ImageMode {
		fi, err := os.Stat(p.Device)
		if err != nil || fi.Size() == 0 {
			return nil // a new or empty file: nothing to lose
		}
		lines = []string{fmt.Sprintf("%s  %s  image file", p.Device, disks.HumanSize(fi.Size()))}
		question = fmt.Sprintf("Overwrite the image file %s with ALTCOS?", p.Device)
	} else {
		d, err := findTarget(p, s.env)
		if err != nil {
			return err
		}
		lines = describe(d)
		question = fmt.Sprintf("Wipe %s and install ALTCOS? Everything on it will be lost.", d.Path)
	}
	if len(s.kept) > 0 {
		var nums []string
		for _, k := range s.kept {
			nums = append(nums, strconv.Itoa(k.Number))
		}
		but := " but the kept partition(s) " + strings.Join(nums, ", ")
		lines[0] += "  (all" + but + ")"
		question = strings.Replace(question, "Everything on it will be lost.", "Everything on it"+but+" will be lost.", 1)
	}
	if p.DryRun {
		s.env.Progress.Info("dry run: would wipe " + lines[0])
		return nil
	}
	if p.Yes {
		return nil
	}
	if s.env.Prompt == nil {
		return ErrNeedConfirm
	}
	for _, l := range lines {
		s.env.Progress.Info(l)
	}
	ok, err := s.env.Prompt.Confirm(question + " Type y to continue")
	if err != nil {
		return fmt.Errorf("ask for confirmation: %w", err)
	}
	if !ok {
		return ErrAborted
	}
	return nil
}
