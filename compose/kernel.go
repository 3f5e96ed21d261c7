package compose

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/altcos/altcos-tools/ostree"
)

// An ALTCOS commit boots one kernel, kept where ostree deploys it from:
// /usr/lib/modules/<kver>/vmlinuz, with initramfs.img beside it. FindKernel
// (an OS tree on disk: before compose, or a checkout of a commit) and
// CommitKernel (a commit in a repository) are the one rule for finding it;
// compose, the deploy archive and every image read the kernel through them.

// KernelPath is the kernel kver of the composed tree at root.
func KernelPath(root, kver string) string {
	return filepath.Join(root, "usr/lib/modules", kver, "vmlinuz")
}

// FindKernel returns the version of the one kernel of the OS tree at root:
// a vmlinuz in /usr/lib/modules/<kver>/ or, in a tree not composed yet,
// /boot/vmlinuz-<kver> with its modules in /usr/lib/modules/<kver>.
func FindKernel(root string) (string, error) {
	var kvers []string
	mods, _ := filepath.Glob(KernelPath(root, "*"))
	for _, m := range mods {
		if _, err := os.Stat(m); err == nil {
			kvers = append(kvers, filepath.Base(filepath.Dir(m)))
		}
	}
	boots, _ := filepath.Glob(filepath.Join(root, "boot/vmlinuz-*"))
	for _, b := range boots {
		if st, err := os.Lstat(b); err != nil || !st.Mode().IsRegular() {
			continue
		}
		kver := strings.TrimPrefix(filepath.Base(b), "vmlinuz-")
		if st, err := os.Stat(filepath.Join(root, "usr/lib/modules", kver)); err != nil || !st.IsDir() {
			return "", fmt.Errorf("kernel /boot/vmlinuz-%s has no modules in /usr/lib/modules/%s", kver, kver)
		}
		kvers = append(kvers, kver)
	}
	return oneKernel(kvers, "no kernel (no /boot/vmlinuz-<kver> or /usr/lib/modules/<kver>/vmlinuz); install a kernel package")
}

// CommitKernel is FindKernel for a commit in repo, read with `ostree ls`
// (no checkout): a commit whose kernel is missing would deploy, and the
// disk would not boot.
func CommitKernel(ctx context.Context, repo *ostree.Repo, commit string) (string, error) {
	const mods = "/usr/lib/modules/"
	paths, err := repo.Ls(ctx, commit, true, strings.TrimSuffix(mods, "/"))
	if err != nil {
		return "", fmt.Errorf("commit %s has no /usr/lib/modules (no kernel); install a kernel in the OS tree and compose again: %w", commit, err)
	}
	var kvers []string
	for _, p := range paths {
		rel := strings.TrimPrefix(p, mods)
		if kver, ok := strings.CutSuffix(rel, "/vmlinuz"); ok && rel != p && !strings.Contains(kver, "/") {
			kvers = append(kvers, kver)
		}
	}
	kver, err := oneKernel(kvers, "no kernel at /usr/lib/modules/<kver>/vmlinuz; install a kernel in the OS tree and compose again")
	if err != nil {
		return "", fmt.Errorf("commit %s: %w", commit, err)
	}
	return kver, nil
}

// oneKernel returns the one version in kvers, or says why there is not one.
func oneKernel(kvers []string, none string) (string, error) {
	set := map[string]bool{}
	for _, k := range kvers {
		set[k] = true
	}
	list := make([]string, 0, len(set))
	for k := range set {
		list = append(list, k)
	}
	sort.Strings(list)
	switch len(list) {
	case 0:
		return "", errors.New(none)
	case 1:
		return list[0], nil
	}
	return "", fmt.Errorf("%d kernels (%s); an ALTCOS commit boots one kernel, remove the others", len(list), strings.Join(list, ", "))
}
