package vmtests

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/installer/ignition"
	"github.com/altcos/altcos-tools/vmtests/qemu"
)

// ignitionFileChanged is what the checks write into the Ignition file before
// a reboot: a later boot that still shows it ran no Ignition.
const ignitionFileChanged = "changed-after-first-boot"

// podmanGreeting is what the locally imported image prints.
const podmanGreeting = "hello from a locally imported image"

// account names who logs in on the installed system's console.
type account struct {
	User, Password string
}

// ignitionFixture is what the checks read from testdata/vmtest.ign.
type ignitionFixture struct {
	UserHash string
	FilePath string
	FileMode string // octal, as stat -c %a prints it
	FileBody string
	Unit     string
}

func vmtestFixture() (ignitionFixture, error) {
	c, err := ignition.Parse(vmtestIgnition)
	if err != nil {
		return ignitionFixture{}, fmt.Errorf("testdata/vmtest.ign: %w", err)
	}
	if len(c.Passwd.Users) != 1 || c.Passwd.Users[0].Name != vmtestUser || len(c.Storage.Files) != 1 || len(c.Systemd.Units) != 1 {
		return ignitionFixture{}, fmt.Errorf("testdata/vmtest.ign: want the user %s, one file and one unit", vmtestUser)
	}
	u, f := c.Passwd.Users[0], c.Storage.Files[0]
	if u.PasswordHash == nil || f.Mode == nil {
		return ignitionFixture{}, fmt.Errorf("testdata/vmtest.ign: want a password hash for %s and a mode for %s", vmtestUser, f.Path)
	}
	return ignitionFixture{
		UserHash: *u.PasswordHash,
		FilePath: f.Path,
		FileMode: fmt.Sprintf("%o", *f.Mode),
		FileBody: "hello from ignition",
		Unit:     c.Systemd.Units[0].Name,
	}, nil
}

// ignitionWithRootPassword adds root's password hash to an Ignition config:
// installs that set no root password themselves (iso customize, QCOW2) get
// one for the console checks this way.
func ignitionWithRootPassword(config []byte, hash string) ([]byte, error) {
	var c map[string]any
	if err := json.Unmarshal(config, &c); err != nil {
		return nil, fmt.Errorf("parse Ignition config: %w", err)
	}
	passwd, _ := c["passwd"].(map[string]any)
	if passwd == nil {
		passwd = map[string]any{}
		c["passwd"] = passwd
	}
	users, _ := passwd["users"].([]any)
	passwd["users"] = append(users, map[string]any{"name": "root", "passwordHash": hash})
	return json.MarshalIndent(c, "", "  ")
}

// imageRootfs is a container root filesystem holding only a static busybox,
// for `podman import`: the guest needs no registry.
func imageRootfs(busybox string) ([]byte, error) {
	bb, err := os.ReadFile(busybox)
	if err != nil {
		return nil, fmt.Errorf("read busybox for the test image: %w (install busybox-static)", err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mt := time.Unix(0, 0)
	hdrs := []*tar.Header{
		{Name: "bin/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: mt},
		{Name: "bin/busybox", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(bb)), ModTime: mt},
		{Name: "bin/sh", Typeflag: tar.TypeSymlink, Linkname: "busybox", Mode: 0o777, ModTime: mt},
	}
	for _, h := range hdrs {
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(bb); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// checkFailed is a check whose output was wrong.
func checkFailed(m *qemu.Machine, what, got, want string) error {
	return m.Fail("check "+what, fmt.Errorf("got:\n%s\nwant: %s", got, want))
}

// checks runs console checks on one machine and keeps going after a wrong
// answer, so one run reports every check that failed; it stops at once only
// when the machine itself fails (stopped, timed out).
type checks struct {
	m     *qemu.Machine
	sh    *shell
	fails []string
}

// run runs cmd; a non-zero exit is a failed check named what.
func (c *checks) run(ctx context.Context, what, cmd string, timeout time.Duration) (string, bool, error) {
	out, code, err := c.sh.Run(ctx, cmd, timeout)
	if err != nil {
		return out, false, err
	}
	if code != 0 {
		c.fails = append(c.fails, fmt.Sprintf("%s: `%s` exited %d:\n%s", what, cmd, code, indent(out)))
		return out, false, nil
	}
	return out, true, nil
}

// expect runs cmd and compares its output with want (exactly, or as a
// substring list when contains is set).
func (c *checks) expect(ctx context.Context, what, cmd string, timeout time.Duration, want string, contains ...string) (bool, error) {
	got, ok, err := c.run(ctx, what, cmd, timeout)
	if err != nil || !ok {
		return false, err
	}
	bad := ""
	if len(contains) == 0 && got != want {
		bad = fmt.Sprintf("want %q", want)
	}
	for _, w := range contains {
		if !strings.Contains(got, w) {
			bad = fmt.Sprintf("want a line with %q", w)
			break
		}
	}
	if bad != "" {
		c.fails = append(c.fails, fmt.Sprintf("%s: `%s` printed:\n%s\n  %s", what, cmd, indent(got), bad))
		return false, nil
	}
	return true, nil
}

func (c *checks) err() error {
	if len(c.fails) == 0 {
		return nil
	}
	return c.m.Fail("check the installed system", fmt.Errorf("%d check(s) failed:\n- %s", len(c.fails), strings.Join(c.fails, "\n- ")))
}

func indent(s string) string { return "    " + strings.ReplaceAll(s, "\n", "\n    ") }

// boots is how many times checkInstalled boots the installed disk.
type boots int

const (
	// firstBootOnly: the first boot's checks, then power off. The second
	// boot proves what the OS does (Ignition runs once), not what an install
	// path does: one scenario a run shows it (bios-unattended; the agent's
	// reboots in update-rollback show it for the QCOW2 image), the others
	// save the boot (about 2 minutes under TCG).
	firstBootOnly boots = 1
	// withSecondBoot: then reboot and check that Ignition did not run again.
	withSecondBoot boots = 2
)

// checkAsRoot is checkInstalled of the deployment the artifacts promise,
// logging in as root with the test password.
func checkAsRoot(ctx context.Context, env *Env, cfg qemu.Config, n boots, srv *qemu.Server, more ...func(context.Context, *Env, *checks, *qemu.Server) error) error {
	want, err := env.expected(ctx)
	if err != nil {
		return err
	}
	return checkInstalled(ctx, env, cfg, want, account{User: "root", Password: rootPassword}, n, srv, more...)
}

// checkInstalled boots the installed disk described by cfg, logs in as root
// and checks the first boot: ostree admin status, the Ignition user, file and
// unit, the first-boot stamp gone, and podman running a locally imported
// image (served by srv, when not nil). It then changes the Ignition file (a
// later reinstall onto the disk checks that Ignition wrote it afresh) and,
// withSecondBoot, reboots and checks that Ignition did not run again.
//
// more are further checks on the first boot, after podman's (srv not nil).
func checkInstalled(ctx context.Context, env *Env, cfg qemu.Config, want deployed, root account, n boots, srv *qemu.Server, more ...func(context.Context, *Env, *checks, *qemu.Server) error) error {
	fx, err := vmtestFixture()
	if err != nil {
		return err
	}
	t0 := time.Now()
	env.step("%s: booting the installed disk", cfg.Name)
	m, c, err := bootAndLogin(ctx, env, cfg, root.User, root.Password, diskBootTimeout)
	if m != nil {
		defer m.Close()
	}
	if err != nil {
		return err
	}
	env.step("%s: logged in as %s after %s", cfg.Name, root.User, timeSince(t0))

	// ostree admin status: the deployment, its version and origin.
	ok, err := c.expect(ctx, "ostree admin status", "ostree admin status", commandTimeout, "",
		fmt.Sprintf("* %s %s.0", altcos.OSName, want.Commit), "Version: "+want.Version, "origin refspec: "+altcos.RemoteName+":"+want.Ref)
	if err != nil {
		return err
	}
	if ok {
		env.step("%s: ostree admin status shows %s.0, %s, %s", cfg.Name, short(want.Commit), want.Version, altcos.RemoteName+":"+want.Ref)
	}

	// Ignition: the user with the config's password hash (compared by
	// digest, so the hash never reaches the console), the file's contents
	// and mode, the unit ran once, the first-boot stamp is gone.
	digest := sha256Hex([]byte(fx.UserHash))
	steps := []struct{ what, cmd, want string }{
		{"the Ignition user's password hash (sha256 of it)", "getent shadow " + vmtestUser + " | cut -d: -f2 | tr -d '\\n' | sha256sum | cut -d' ' -f1", digest},
		{"the Ignition file's mode and contents", "stat -c %a " + fx.FilePath + "; cat " + fx.FilePath, fx.FileMode + "\n" + fx.FileBody},
		{"the Ignition unit ran once", "systemctl is-active " + fx.Unit + "; wc -l < /var/lib/vmtest-hello.runs", "active\n1"},
		{"the first-boot stamp is gone", "test -e /boot/ignition.firstboot && echo present || echo gone", "gone"},
	}
	for _, s := range steps {
		ok, err := c.expect(ctx, s.what, s.cmd, commandTimeout, s.want)
		if err != nil {
			return err
		}
		if ok {
			env.step("%s: ok: %s", cfg.Name, s.what)
		}
	}

	if srv != nil {
		if err := checkPodman(ctx, env, c, srv); err != nil {
			return err
		}
		for _, check := range more {
			if err := check(ctx, env, c, srv); err != nil {
				return err
			}
		}
	}

	// Reboot: Ignition must not run again, so a change to its file stays.
	if _, _, err := c.run(ctx, "change the Ignition file", "echo "+ignitionFileChanged+" > "+fx.FilePath, commandTimeout); err != nil {
		return err
	}
	if n == firstBootOnly {
		return powerOff(ctx, m, c)
	}
	env.step("%s: rebooting", cfg.Name)
	if err := m.SendLine("systemctl reboot"); err != nil {
		return err
	}
	t1 := time.Now()
	if c.sh, err = login(ctx, m, root.User, root.Password, diskBootTimeout); err != nil {
		return err
	}
	env.step("%s: second boot, logged in after %s", cfg.Name, timeSince(t1))
	ok, err = c.expect(ctx, "Ignition did not run on the second boot (its file keeps the change, no ignition.firstboot karg)",
		"cat "+fx.FilePath+"; grep -c ignition.firstboot /proc/cmdline || true", commandTimeout, ignitionFileChanged+"\n0")
	if err != nil {
		return err
	}
	if ok {
		env.step("%s: ok: Ignition did not run again", cfg.Name)
	}
	if _, err := c.expect(ctx, "the unit ran again on the second boot", "wc -l < /var/lib/vmtest-hello.runs", commandTimeout, "2"); err != nil {
		return err
	}
	return powerOff(ctx, m, c)
}

// powerOff reports the failed checks of c, if any, else powers the machine
// off and waits for QEMU to exit.
func powerOff(ctx context.Context, m *qemu.Machine, c *checks) error {
	if err := c.err(); err != nil {
		return err
	}
	_ = m.SendLine("poweroff")
	_ = m.Wait(ctx, 2*time.Minute)
	return nil
}

// checkPodman imports a busybox image from the host's HTTP server and runs it.
func checkPodman(ctx context.Context, env *Env, c *checks, srv *qemu.Server) error {
	img, err := imageRootfs("/bin/busybox")
	if err != nil {
		return err
	}
	srv.Put("hello-rootfs.tar", img)
	// The test OS may bring no network configuration; QEMU's user network
	// takes the usual static address too.
	netup := `dev=` + guestNIC + `; ip link set "$dev" up; ip -4 addr show dev "$dev" | grep -q inet || ip addr add 10.0.2.15/24 dev "$dev"`
	if _, _, err := c.run(ctx, "network up", netup, commandTimeout); err != nil {
		return err
	}
	_, ok, err := c.run(ctx, "podman import", "podman import -q "+srv.GuestURL("hello-rootfs.tar")+" localhost/vmtest-hello", 10*time.Minute)
	if err != nil || !ok {
		return err
	}
	ok, err = c.expect(ctx, "podman run of the imported image", "podman run --rm --network none localhost/vmtest-hello /bin/busybox echo '"+podmanGreeting+"'", 10*time.Minute, "", podmanGreeting)
	if ok {
		env.step("%s: ok: podman ran a locally imported image: %q", c.m.Name, podmanGreeting)
	}
	return err
}

func short(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}
