package installer

// Steps "install bootloader" and "first boot".

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/altcos/altcos-tools/installer/bootloader"
	layout "github.com/altcos/altcos-tools/installer/partition"
	"golang.org/x/sys/unix"
)

type owner struct{ uid, gid int }

func statOwner(fi os.FileInfo) (owner, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return owner{}, false
	}
	return owner{int(st.Uid), int(st.Gid)}, true
}

// deploymentDir is the deployed OS tree on the mounted root filesystem.
func (s *state) deploymentDir() string {
	m := s.manifest
	return filepath.Join(s.target.rootDir, "ostree", "deploy", m.OSName, "deploy", m.Commit+".0")
}

func installBootloader(ctx context.Context, s *state) error {
	t := s.target
	bios := t.parts[layout.BIOSBoot-1]
	return bootloader.Install(ctx, bootloader.Options{
		Tree:          s.deploymentDir(),
		BootDir:       t.bootDir,
		BootUUID:      t.bootUUID,
		Disk:          t.f,
		BIOSBootStart: bios.Start,
		BIOSBootSize:  bios.Size,
		ESP:           t.part(layout.ESP),
		Menu:          bootloader.MenuOptions{Timeout: 1, Serial: bootloader.SerialFromConsole(s.plan.Console)},
		WorkDir:       t.work,
		Log:           s.env.Log,
	})
}

// Files of the first boot on the boot partition (seen as /boot/... from the
// installed system).
const (
	ignitionDir   = "ignition"
	IgnitionFile  = "ignition/config.ign"
	FirstbootFile = "ignition.firstboot"
)

func firstBoot(ctx context.Context, s *state) error {
	t := s.target
	// 1. The Ignition config, byte for byte, readable by root only.
	if s.ignition != nil {
		if err := os.Mkdir(filepath.Join(t.bootDir, ignitionDir), 0o700); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
		p := filepath.Join(t.bootDir, IgnitionFile)
		if err := os.WriteFile(p, s.ignition, 0o600); err != nil {
			return fmt.Errorf("write Ignition config: %w", err)
		}
		if err := os.Chmod(p, 0o600); err != nil {
			return err
		}
	}
	// 2. The stamp: GRUB adds ignition.firstboot to the kernel arguments
	// while it exists; Ignition removes it.
	if err := os.WriteFile(filepath.Join(t.bootDir, FirstbootFile), nil, 0o644); err != nil {
		return fmt.Errorf("write first-boot stamp: %w", err)
	}
	// 3. The root password hash into the deployment's /etc/shadow.
	dep := s.deploymentDir()
	if h := s.plan.RootPasswordHash; h != "" {
		shadow := filepath.Join(dep, "etc", "shadow")
		b, err := os.ReadFile(shadow)
		if err != nil {
			return fmt.Errorf("read the deployment's /etc/shadow: %w", err)
		}
		out, err := setShadowHash(string(b), "root", h)
		if err != nil {
			return err
		}
		if err := writeFileAtomic(shadow, []byte(out)); err != nil {
			return err
		}
	}
	// 4. /etc/fstab of the deployment mounts the boot partition at /boot,
	// where every later ostree deploy writes kernels and boot entries.
	if err := addFstab(filepath.Join(dep, "etc", "fstab"), t.rootUUID, t.bootUUID); err != nil {
		return err
	}
	// 5. The network settings (--copy-network).
	if err := copyNetwork(s); err != nil {
		return err
	}
	// 6. ostree keeps deployment roots immutable; the archive cannot carry
	// the flag, so set it once the deployment is complete.
	return setImmutable(dep)
}

// setShadowHash sets the password hash of user in the text of /etc/shadow,
// leaving every other line and field as it was. Errors never quote the hash.
func setShadowHash(shadow, user, hash string) (string, error) {
	if hash == "" || strings.ContainsAny(hash, ":\n") {
		return "", errors.New("root password hash is empty or contains ':' or a newline; make one with `altcos-installer hash-password`")
	}
	lines := strings.SplitAfter(shadow, "\n")
	for i, l := range lines {
		body := strings.TrimSuffix(l, "\n")
		f := strings.Split(body, ":")
		if len(f) < 2 || f[0] != user {
			continue
		}
		f[1] = hash
		lines[i] = strings.Join(f, ":") + l[len(body):]
		return strings.Join(lines, ""), nil
	}
	return "", fmt.Errorf("the deployment's /etc/shadow has no %s line", user)
}

const fsImmutableFL = 0x10 // FS_IMMUTABLE_FL

func setImmutable(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err != nil {
		return fmt.Errorf("flags of %s: %w", dir, err)
	}
	if err := unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags|fsImmutableFL)); err != nil {
		return fmt.Errorf("make %s immutable: %w", dir, err)
	}
	return nil
}

// fstabLines are the mounts an installed system needs from /etc/fstab: root
// (remounted by systemd; ostree-prepare-root mounts it first) and boot.
func fstabLines(rootUUID, bootUUID string) string {
	return fmt.Sprintf("UUID=%s / ext4 defaults 1 1\nUUID=%s /boot ext4 defaults,nodev,nosuid 1 2\n", rootUUID, bootUUID)
}

// addFstab appends fstabLines to the deployment's fstab (creating it), after
// dropping any earlier line for / or /boot.
func addFstab(path, rootUUID, bootUUID string) error {
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	var keep []string
	for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && !strings.HasPrefix(f[0], "#") && (f[1] == "/" || f[1] == "/boot") {
			continue
		}
		if l != "" {
			keep = append(keep, l)
		}
	}
	out := fstabLines(rootUUID, bootUUID)
	if len(keep) > 0 {
		out = strings.Join(keep, "\n") + "\n" + out
	}
	if errors.Is(err, os.ErrNotExist) {
		return os.WriteFile(path, []byte(out), 0o644)
	}
	return writeFileAtomic(path, []byte(out))
}
