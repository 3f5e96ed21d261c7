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
)

// PodmanGreeting is what the locally imported image prints.
const PodmanGreeting = "hello from a locally imported image"

// Account names who logs in on the installed system's console.
type Account struct {
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
	var c struct {
		Passwd struct {
			Users []struct {
				Name         string `json:"name"`
				PasswordHash string `json:"passwordHash"`
			} `json:"users"`
		} `json:"passwd"`
		Storage struct {
			Files []struct {
				Path string `json:"path"`
				Mode int    `json:"mode"`
			} `json:"files"`
		} `json:"storage"`
		Systemd struct {
			Units []struct {
				Name string `json:"name"`
			} `json:"units"`
		} `json:"systemd"`
	}
	if err := json.Unmarshal(VMTestIgnition, &c); err != nil {
		return ignitionFixture{}, fmt.Errorf("testdata/vmtest.ign: %w", err)
	}
	if len(c.Passwd.Users) != 1 || c.Passwd.Users[0].Name != VMTestUser || len(c.Storage.Files) != 1 || len(c.Systemd.Units) != 1 {
		return ignitionFixture{}, fmt.Errorf("testdata/vmtest.ign: want the user %s, one file and one unit", VMTestUser)
	}
	return ignitionFixture{
		UserHash: c.Passwd.Users[0].PasswordHash,
		FilePath: c.Storage.Files[0].Path,
		FileMode: fmt.Sprintf("%o", c.Storage.Files[0].Mode),
		FileBody: "hello from ignition",
		Unit:     c.Systemd.Units[0].Name,
	}, nil
}

// IgnitionWithRootPassword adds root's password hash to an Ignition config:
// installs that set no root password themselves (iso customize, QCOW2) get
// one for the console checks this way.
func IgnitionWithRootPassword(config []byte, hash string) ([]byte, error) {
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

// ImageRootfs is a container root filesystem holding only a static busybox,
// for `podman import`: the guest needs no registry.
func ImageRootfs(busybox string) ([]byte, error) {
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
func checkFailed(m *Machine, what, got, want string) error {
	return m.Fail("check "+what, fmt.Errorf("got:\n%s\nwant: %s", got, want))
}

// checkInstalled boots the installed disk described by cfg, logs in as root
// and checks the first boot: ostree admin status, the Ignition user, file and
// unit, the stamp gone, and podman running a locally imported image (served
// by srv, when not nil). It then changes the Ignition file, reboots, and
// checks that Ignition did not run again.
func checkInstalled(ctx context.Context, env *Env, cfg Config, want Expected, root Account, srv *Server) error {
	fx, err := vmtestFixture()
	if err != nil {
		return err
	}
	t0 := time.Now()
	env.step("%s: booting the installed disk", cfg.Name)
	m, err := Start(ctx, env.Log, cfg)
	if err != nil {
		return err
	}
	defer m.Close()
	sh, err := Login(ctx, m, root.User, root.Password, diskBootTimeout)
	if err != nil {
		return err
	}
	env.step("%s: logged in as %s after %s", cfg.Name, root.User, timeSince(t0))

	// ostree admin status: the deployment, its version and origin.
	st, err := sh.MustRun(ctx, "ostree admin status", commandTimeout)
	if err != nil {
		return err
	}
	for _, w := range []string{
		fmt.Sprintf("* alt-containeros %s.0", want.Commit),
		"Version: " + want.Version,
		"origin refspec: altcos:" + want.Ref,
	} {
		if !strings.Contains(st, w) {
			return checkFailed(m, "ostree admin status", st, fmt.Sprintf("a line with %q", w))
		}
	}
	env.step("%s: ostree admin status shows %s.0, %s, altcos:%s", cfg.Name, short(want.Commit), want.Version, want.Ref)

	// Ignition: the user with the config's password hash (compared by
	// digest, so the hash never reaches the console), the file's contents
	// and mode, the unit ran once.
	got, err := sh.MustRun(ctx, "getent shadow "+VMTestUser+" | cut -d: -f2 | tr -d '\\n' | sha256sum | cut -d' ' -f1", commandTimeout)
	if err != nil {
		return err
	}
	if got != sha256Hex([]byte(fx.UserHash)) {
		return checkFailed(m, "the Ignition user's password hash digest", got, sha256Hex([]byte(fx.UserHash)))
	}
	got, err = sh.MustRun(ctx, "stat -c %a "+fx.FilePath+"; cat "+fx.FilePath, commandTimeout)
	if err != nil {
		return err
	}
	if want := fx.FileMode + "\n" + fx.FileBody; got != want {
		return checkFailed(m, "the Ignition file", got, want)
	}
	got, err = sh.MustRun(ctx, "systemctl is-active "+fx.Unit+"; wc -l < /var/lib/vmtest-hello.runs", commandTimeout)
	if err != nil {
		return err
	}
	if got != "active\n1" {
		return checkFailed(m, "the Ignition unit ran once", got, "active\n1")
	}
	if _, err := sh.MustRun(ctx, "test ! -e /boot/ignition.firstboot", commandTimeout); err != nil {
		return err
	}
	env.step("%s: Ignition ran: user, file %s (mode %s), unit %s; first-boot stamp removed", cfg.Name, fx.FilePath, fx.FileMode, fx.Unit)

	if srv != nil {
		if err := checkPodman(ctx, env, m, sh, srv); err != nil {
			return err
		}
	}

	// Reboot: Ignition must not run again, so a change to its file stays.
	if _, err := sh.MustRun(ctx, "echo changed-after-first-boot > "+fx.FilePath, commandTimeout); err != nil {
		return err
	}
	env.step("%s: rebooting", cfg.Name)
	if err := m.SendLine("systemctl reboot"); err != nil {
		return err
	}
	t1 := time.Now()
	sh, err = Login(ctx, m, root.User, root.Password, diskBootTimeout)
	if err != nil {
		return err
	}
	got, err = sh.MustRun(ctx, "cat "+fx.FilePath+"; wc -l < /var/lib/vmtest-hello.runs; grep -c ignition.firstboot /proc/cmdline || true", commandTimeout)
	if err != nil {
		return err
	}
	if got != "changed-after-first-boot\n2\n0" {
		return checkFailed(m, "Ignition did not run on the second boot", got, "changed-after-first-boot, 2 unit runs, no ignition.firstboot karg")
	}
	env.step("%s: second boot in %s: Ignition did not run again", cfg.Name, timeSince(t1))
	_ = m.SendLine("poweroff")
	_ = m.Wait(ctx, 2*time.Minute)
	return nil
}

// checkPodman imports a busybox image from the host's HTTP server and runs it.
func checkPodman(ctx context.Context, env *Env, m *Machine, sh *Shell, srv *Server) error {
	img, err := ImageRootfs("/bin/busybox")
	if err != nil {
		return err
	}
	srv.Put("hello-rootfs.tar", img)
	// The test OS may bring no network configuration; QEMU's user network
	// takes the usual static address too.
	netup := `dev=$(ls /sys/class/net | grep -v '^lo$' | head -n1); ip link set "$dev" up; ip -4 addr show dev "$dev" | grep -q inet || ip addr add 10.0.2.15/24 dev "$dev"`
	if _, err := sh.MustRun(ctx, netup, commandTimeout); err != nil {
		return err
	}
	if _, err := sh.MustRun(ctx, "podman import -q "+srv.GuestURL("hello-rootfs.tar")+" localhost/vmtest-hello", 10*time.Minute); err != nil {
		return err
	}
	got, err := sh.MustRun(ctx, "podman run --rm --network none localhost/vmtest-hello /bin/busybox echo '"+PodmanGreeting+"'", 10*time.Minute)
	if err != nil {
		return err
	}
	if !strings.Contains(got, PodmanGreeting) {
		return checkFailed(m, "podman run", got, PodmanGreeting)
	}
	env.step("%s: podman ran a locally imported image: %q", m.Name, PodmanGreeting)
	return nil
}

func short(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}
