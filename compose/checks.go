package compose

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/altcos/altcos-tools/altcos"
)

// checkInputs checks what needs no tool: stream, arch, tree, OS files.
func checkInputs(_ context.Context, s *state) error {
	if err := altcos.ValidateStream(s.opts.Stream); err != nil {
		return err
	}
	if err := altcos.ValidateArch(s.opts.Arch); err != nil {
		return err
	}
	if s.opts.Tree == "" {
		return errors.New("no OS tree given")
	}
	st, err := os.Stat(s.opts.Tree)
	if err != nil {
		return fmt.Errorf("OS tree %s: %w", s.opts.Tree, err)
	}
	s.treeIsDir = st.IsDir()
	if s.opts.OSFiles != "" {
		if st, err := os.Stat(s.opts.OSFiles); err != nil || !st.IsDir() {
			return fmt.Errorf("OS files %s: not a directory (give the project's osfiles/)", s.opts.OSFiles)
		}
	}
	return nil
}

// skipUnchanged ends the compose before copying hundreds of megabytes when
// the tree is a directory whose packages and OS files are those of the head.
// It checks the tree as the copy would be checked, so bad input is refused
// alike on both paths.
func skipUnchanged(ctx context.Context, s *state) error {
	if s.prev == nil || !s.treeIsDir || s.opts.Force || s.osfilesSum != s.prevOSFiles {
		return nil
	}
	p, err := ReadPackages(ctx, s.log, s.opts.Tree)
	if err != nil || Compare(s.prevPackages, p) != Unchanged {
		return nil // the full path says what is wrong, or commits the change
	}
	if _, err := FindKernel(s.opts.Tree); err != nil {
		return fmt.Errorf("OS tree %s: %w", s.opts.Tree, err)
	}
	if err := checkDracut(s.opts.Tree, s.opts.OSFiles); err != nil {
		return fmt.Errorf("OS tree %s: %w", s.opts.Tree, err)
	}
	if _, _, err := NextVersion(s.opts.Stream, s.prev, s.prevPackages, p, false, s.opts.Time); err != nil {
		return err
	}
	head := s.res.Parent
	s.res.Version, s.res.Change, s.res.Commit, s.res.Packages = s.prev.String(), Unchanged, head, len(p)
	s.res.Kernel, _ = s.repo.Metadata(ctx, head, altcos.MetaKernel)
	s.res.IgnitionSpec, _ = s.repo.Metadata(ctx, head, altcos.MetaIgnitionSpec)
	s.done = true
	return nil
}

// checkTree checks the copy: one kernel, dracut with the modules we need.
func checkTree(_ context.Context, s *state) error {
	kver, err := FindKernel(s.root)
	if err != nil {
		return fmt.Errorf("OS tree %s: %w", s.opts.Tree, err)
	}
	s.res.Kernel = kver
	if err := checkDracut(s.root); err != nil {
		return fmt.Errorf("OS tree %s: %w", s.opts.Tree, err)
	}
	return nil
}

// checkDracut checks that the tree has dracut and the DracutModules, each
// in the tree or in one of the overlays (the project's osfiles/).
func checkDracut(root string, overlays ...string) error {
	if !exists(filepath.Join(root, "usr/bin/dracut")) && !exists(filepath.Join(root, "usr/sbin/dracut")) {
		return errors.New("no dracut (/usr/bin/dracut); install dracut")
	}
	hints := map[string]string{
		"ostree":   "install ostree-boot (Debian) or ostree (ALT)",
		"ignition": "install ignition",
		"altcos":   "compose with the project's osfiles/ (--osfiles)",
	}
	for _, m := range DracutModules {
		var found []string
		for _, r := range append([]string{root}, overlays...) {
			if r != "" {
				f, _ := filepath.Glob(filepath.Join(r, "usr/lib/dracut/modules.d/[0-9][0-9]"+m))
				found = append(found, f...)
			}
		}
		if len(found) == 0 {
			return fmt.Errorf("no dracut module %s (/usr/lib/dracut/modules.d/NN%s); %s", m, m, hints[m])
		}
	}
	return nil
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
