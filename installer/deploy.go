package installer

// Step "deploy": stream the deploy archive onto the mounted root and boot
// filesystems, then write this machine's kernel arguments into the ostree
// boot entry (and into ostree's generated menu, which copies them).

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/altcos/altcos-tools/deployarchive"
	layout "github.com/altcos/altcos-tools/installer/partition"
)

func deploy(ctx context.Context, s *state) error {
	t := s.target
	t.rootDir, t.bootDir = t.workPath("root"), t.workPath("boot")
	if err := t.mount(t.part(layout.Root), t.rootDir); err != nil {
		return err
	}
	if err := t.mount(t.part(layout.Boot), t.bootDir); err != nil {
		return err
	}
	rc, err := s.archive(ctx)
	if err != nil {
		return err
	}
	defer rc.Close()
	pr := &progressReader{r: rc, total: s.manifest.Archive.Size, rep: s.env.Progress}
	s.unverified = s.streamed // until Unpack has read the stream to its end through the verifier
	stop := t.flushWhile()
	err = deployarchive.Unpack(ctx, pr, deployarchive.Dest{Root: t.rootDir, Boot: t.bootDir})
	if ferr := stop(); ferr != nil && err == nil {
		// Unpack may have failed because of it: keep Unpack's error then.
		return ferr
	}
	if err != nil {
		return fmt.Errorf("unpack deploy archive: %w", err)
	}
	s.unverified = false
	s.env.Progress.Bytes(pr.n, pr.total)
	edit := KargEdit{RootUUID: t.rootUUID, Platform: s.plan.Platform, Console: s.plan.Console,
		Append: s.plan.AppendKargs, Delete: s.plan.DeleteKargs}
	return writeKargs(t.bootDir, edit)
}

// progressReader reports bytes read every MiB.
type progressReader struct {
	r        io.Reader
	n, total int64
	last     int64
	rep      Reporter
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	if p.n-p.last >= 1<<20 {
		p.last = p.n
		p.rep.Bytes(p.n, p.total)
	}
	return n, err
}

// KargEdit is what an install changes in the boot entry's kernel arguments.
type KargEdit struct {
	RootUUID string
	Platform string   // ignition.platform.id; "" means metal
	Console  []string // ttyS0,115200n8 or console=ttyS0,115200n8
	Append   []string
	Delete   []string // an exact argument, or a bare key to drop every key=...
}

// firstbootKarg is expanded by GRUB: ignition.firstboot while the stamp
// file exists on the boot partition (see installer/bootloader).
const firstbootKarg = "$ignition_firstboot"

// EditKargs returns the kernel arguments of this install from the archive's
// (the stream's, ostree=, the placeholder root): root=UUID=, the platform,
// $ignition_firstboot, consoles, then the plan's appends, minus its deletes.
func EditKargs(args []string, e KargEdit) []string {
	platform := e.Platform
	if platform == "" {
		platform = "metal"
	}
	out := []string{"root=UUID=" + e.RootUUID}
	for _, a := range args {
		k, _, _ := strings.Cut(a, "=")
		if k == "root" || k == "ignition.platform.id" || a == firstbootKarg || (k == "console" && len(e.Console) > 0) {
			continue
		}
		out = append(out, a)
	}
	out = append(out, "ignition.platform.id="+platform, firstbootKarg)
	for _, c := range e.Console {
		out = append(out, "console="+strings.TrimPrefix(c, "console="))
	}
	for _, a := range e.Append {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return slices.DeleteFunc(out, func(a string) bool {
		k, _, _ := strings.Cut(a, "=")
		for _, d := range e.Delete {
			if a == d || (!strings.Contains(d, "=") && k == d) {
				return true
			}
		}
		return false
	})
}

// writeKargs edits the options of every boot entry in bootDir/loader/entries
// and the same text in ostree's generated bootDir/loader/grub.cfg.
func writeKargs(bootDir string, e KargEdit) error {
	entries, err := filepath.Glob(filepath.Join(bootDir, "loader", "entries", "*.conf"))
	if err != nil || len(entries) == 0 {
		return fmt.Errorf("deploy archive has no boot entry in /boot/loader/entries; it is not a deployed sysroot")
	}
	cfgPath := filepath.Join(bootDir, "loader", "grub.cfg")
	cfg, err := os.ReadFile(cfgPath)
	if err != nil {
		return fmt.Errorf("deploy archive has no ostree menu /boot/loader/grub.cfg (sysroot.bootloader=grub2): %w", err)
	}
	menu := string(cfg)
	for _, p := range entries {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		old, ok := entryOptions(string(b))
		if !ok {
			return fmt.Errorf("boot entry %s has no options line", p)
		}
		opts := strings.Join(EditKargs(strings.Fields(old), e), " ")
		if !strings.Contains(menu, " "+old+"\n") {
			return fmt.Errorf("ostree menu %s does not carry the options of %s", cfgPath, filepath.Base(p))
		}
		menu = strings.ReplaceAll(menu, " "+old+"\n", " "+opts+"\n")
		if err := writeFileAtomic(p, []byte(strings.Replace(string(b), "options "+old+"\n", "options "+opts+"\n", 1))); err != nil {
			return err
		}
	}
	return writeFileAtomic(cfgPath, []byte(menu))
}

// entryOptions finds the value of a BLS entry's options line.
func entryOptions(entry string) (string, bool) {
	for _, l := range strings.Split(entry, "\n") {
		if v, ok := strings.CutPrefix(l, "options "); ok {
			return v, true
		}
	}
	return "", false
}

// writeFileAtomic replaces path with b, keeping its mode and owner (on the
// target being installed: synced by the finish step).
func writeFileAtomic(path string, b []byte) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	tmp := path + ".altcos-new"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fi.Mode().Perm())
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		if st, ok := statOwner(fi); ok {
			err = f.Chown(st.uid, st.gid)
		}
	}
	if err == nil {
		err = f.Chmod(fi.Mode().Perm())
	}
	// No fsync: each costs a journal commit, and the finish step syncs
	// every filesystem once (syncfs) before the install counts as done.
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
