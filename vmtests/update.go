package vmtests

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/vmtests/qemu"
)

// The update scenario (issues 6, 11, 12): the installed v1's own agent,
// configured for fleet_lock against the lock service on the host, updates
// to a signed v2 with nothing typed, under the lock; it boots a v3 that
// fails its health check and rolls back to v2 by itself, never offering v3
// again; and it refuses an unsigned v4.

// Where the scenario serves the guest (QEMU's user network maps the guest's
// 10.0.2.2:PORT to the host's 127.0.0.1:PORT). The OS's remote altcos (the
// image build's default URL) and the agent's default [cincinnati] base_url
// are http://10.0.2.2:8080; testdata/update-agent.toml points the agent's
// fleet_lock at 10.0.2.2:3333.
const (
	updateListen = "127.0.0.1:8080"
	lockListen   = "127.0.0.1:3333"
)

// releaseMarker is the file each of the scenario's releases adds to v1's
// tree, holding its version: it tells which release is booted.
const releaseMarker = "/usr/share/altcos-vmtest/release"

// The health unit of testdata/update-agent.toml and where the broken
// release's drop-in goes.
const (
	healthUnit   = "altcos-vmtest-health.service"
	brokenDropIn = "/usr/lib/systemd/system/" + healthUnit + ".d/50-broken.conf"
	agentDropIn  = "/etc/altcos-updated/config.d/60-vmtest.toml"
)

// rebootLine is what the kernel prints on the console as it restarts: the
// agent's reboots are seen by it (nothing is typed).
const rebootLine = "reboot: Restarting system"

// updateBootTimeout bounds each boot of the update scenario (TCG: 40-80 s
// on the shared CI machine, more while other machines run);
// agentRebootTimeout bounds the agent's way to a reboot: its next check
// (10 s), the pull and the staged deployment, the lock, the logged-in-user
// check (a minute) and the shutdown.
var (
	updateBootTimeout  = 8 * time.Minute
	agentRebootTimeout = 10 * time.Minute
)

// updateIgnition is the scenario's Ignition config: the vmtest config with
// root's password, the agent's drop-in (testdata/update-agent.toml) and the
// health unit it checks.
func (e *Env) updateIgnition() (string, error) {
	withRoot, err := ignitionWithRootPassword(vmtestIgnition, rootPasswordHash)
	if err != nil {
		return "", err
	}
	c, err := ignitionWith(withRoot, map[string]string{agentDropIn: updateAgentConfig}, map[string]string{healthUnit: updateHealthUnit})
	if err != nil {
		return "", err
	}
	return e.writeFile("vmtest-update.ign", c)
}

// agentJournal is the agent's log of the current boot, one message a line.
const agentJournal = "journalctl -b -u altcos-updated.service -o cat"

// awaitJournal is a shell command that waits (at most 3 minutes) until the
// agent's log of this boot has a line matching the extended regexp re, then
// prints the first such match.
func awaitJournal(re string) string {
	return fmt.Sprintf("for i in $(seq 90); do %s | grep -qE '%s' && break; sleep 2; done; %s | grep -m1 -oE '%s'", agentJournal, re, agentJournal, re)
}

// updateRollback is the update-rollback scenario, one machine, four boots:
//
//  1. the QCOW2 (v1, the manifest's commit) boots with the vmtest Ignition
//     config plus the agent's fleet_lock drop-in and a health unit; the
//     agent runs and survives the absent graph server; the host then serves
//     a signed v2 and logs out. With nothing typed, the agent stages v2,
//     takes the slot of the host's altcos-fleetlock and reboots.
//  2. v2 is booted with v1 the rollback entry; the agent reports it healthy
//     and the host sees the slot released. The host serves a signed v3
//     whose drop-in makes the health unit fail, and logs out.
//  3. the agent boots v3 (under the lock again), the health unit fails, it
//     rolls back and reboots (the console shows two restarts).
//  4. v2 is booted again; v3 is denied in the agent's state and never
//     offered; the slot is released. The host serves an unsigned v4: the
//     agent's pull is refused with the signature error, nothing is deployed.
//
// It takes the host's ports 8080 and 3333, free because scenarios run one
// after another.
func updateRollback(ctx context.Context, env *Env) error {
	if env.Art.QCOW2 == "" {
		return missingf("no QCOW2 image: give --qcow2 or ALTCOS_VMTEST_QCOW2 (make qcow2 builds one)")
	}
	if env.Art.Repo == "" {
		return missingf("no ostree repository: give --repo or ALTCOS_VMTEST_REPO, the repo the QCOW2 was built from (make compose: out/repo)")
	}
	if env.Art.GPGKey == "" {
		return missingf("no signing key: give --gpg-key (and --gpg-homedir) or ALTCOS_VMTEST_GPG_KEY, the key that signed the QCOW2's commit (make compose signs with the test key in out/test-gpg, which --artifacts finds)")
	}
	v1d, err := env.expected(ctx)
	if err != nil {
		return err
	}
	v1 := release{Version: v1d.Version, Commit: v1d.Commit}
	t0 := time.Now()
	repo, err := newUpdateRepo(ctx, env, env.Art.Repo, v1d, env.Art.GPGKey, env.Art.GPGHomedir)
	if err != nil {
		return err
	}
	v2, err := repo.add(ctx, v1, nil, false)
	if err != nil {
		return err
	}
	env.step("update: v1 %s (%s), v2 %s (%s, signed by %s) in %s, made in %s", v1.Version, short(v1.Commit), v2.Version, short(v2.Commit), env.Art.GPGKey, repo.Dir, timeSince(t0))
	locks, err := startLockService(ctx, filepath.Join(env.Out, "fleetlock"), lockListen)
	if err != nil {
		return err
	}
	defer locks.Close()
	env.step("update: altcos-fleetlock (embedded etcd %s) serves the guest at http://10.0.2.2:%s", locks.etcd.Endpoint, strings.TrimPrefix(lockListen, "127.0.0.1:"))

	ign, err := env.updateIgnition()
	if err != nil {
		return err
	}
	c, err := env.qcow2Machine(ctx, "update", qemu.BIOS, ign)
	if err != nil {
		return err
	}
	root := account{User: "root", Password: rootPassword}
	tb := time.Now()
	m, ck, err := bootAndLogin(ctx, env, c, root.User, root.Password, updateBootTimeout)
	if m != nil {
		defer m.Close()
	}
	if err != nil {
		return err
	}
	env.step("update: v1 booted, logged in after %s", timeSince(tb))

	// Boot 1: v1, an OS that verifies signatures, and its agent on fleet_lock.
	if ok, err := ck.expect(ctx, "v1 is booted", "ostree admin status", commandTimeout, "", "* "+altcos.OSName+" "+v1.Commit+".0", "Version: "+v1.Version); err != nil || !ok {
		return firstErr(err, ck.err())
	}
	if ok, err := ck.expect(ctx, "the OS's remote verifies signatures with its keyring", "cat /etc/ostree/remotes.d/"+altcos.RemoteName+".conf; test -s "+altcos.KeyringPath+" && echo keyring-present", commandTimeout, "",
		"gpg-verify=true", "gpgkeypath="+altcos.KeyringPath, "keyring-present"); err != nil {
		return err
	} else if ok {
		env.step("update: ok: the remote %s has gpg-verify=true and the keyring %s", altcos.RemoteName, altcos.KeyringPath)
	}
	// The agent's first check runs right after boot, with no graph server yet.
	if ok, err := ck.expect(ctx, "altcos-updated runs fleet_lock and retries without a graph server",
		awaitJournal("retrying later")+"; systemctl is-active altcos-updated.service; "+agentJournal+" | grep -m1 -o 'agent started.*strategy=fleet_lock'",
		commandTimeout, "", "retrying later\nactive\nagent started"); err != nil {
		return err
	} else if ok {
		env.step("update: ok: altcos-updated.service runs the fleet_lock strategy and retries while 10.0.2.2:8080 is absent")
	}
	// Ignition must not run again on the later boots (the image keeps its
	// config on fw_cfg): a change to its file stays (ostree merges /etc).
	fx, err := vmtestFixture()
	if err != nil {
		return err
	}
	if _, _, err := ck.run(ctx, "change the Ignition file", "echo "+ignitionFileChanged+" > "+fx.FilePath, commandTimeout); err != nil {
		return err
	}
	if err := ck.err(); err != nil {
		return err
	}
	stop, err := serveUpdates(repo.Dir, repo.GraphDir)
	if err != nil {
		return err
	}
	defer stop()
	env.step("update: serving %s and its graph (v1 -> v2) on %s; logging out, nothing more is typed", repo.Dir, updateListen)
	// Logged-in users postpone the agent's reboot: leave the console.
	if err := awaitAgentReboot(ctx, env, ck, "into v2"); err != nil {
		return err
	}
	if err := relogin(ctx, env, ck, root, "second"); err != nil {
		return err
	}

	// Boot 2: v2, healthy, the slot given back.
	if ok, err := ck.expect(ctx, "v2 is booted, v1 the rollback", "ostree admin status; echo release=$(cat "+releaseMarker+")", commandTimeout, "",
		"* "+altcos.OSName+" "+v2.Commit+".0", "Version: "+v2.Version, "(rollback)", "release="+v2.Version); err != nil || !ok {
		return firstErr(err, ck.err())
	}
	env.step("update: ok: the agent updated v1 to v2 by itself; v1 is the rollback deployment")
	if ok, err := ck.expect(ctx, "Ignition did not run on v2's boot (its file keeps the change, no ignition.firstboot karg)",
		"cat "+fx.FilePath+"; grep -c ignition.firstboot /proc/cmdline || true", commandTimeout, ignitionFileChanged+"\n0"); err != nil {
		return err
	} else if ok {
		env.step("update: ok: Ignition did not run again (the config is still on fw_cfg)")
	}
	// The boot menu: the first entry boots v2, the second (the rollback) v1.
	menu := `grep '^menuentry' /boot/loader/grub.cfg; for p in $(grep -o 'ostree=[^ ]*' /boot/loader/grub.cfg | cut -d= -f2); do echo "entry -> $(basename $(readlink -f $p))"; done`
	want := fmt.Sprintf("entry -> %s.0\nentry -> %s.", v2.Commit, v1.Commit)
	if ok, err := ck.expect(ctx, "boot menu: v2 first, v1 the rollback entry", menu, commandTimeout, "", want, v2.Version+" (ostree:0)'", v1.Version+" (ostree:1)'"); err != nil {
		return err
	} else if ok {
		env.step("update: ok: /boot/loader/grub.cfg: entry 1 boots v2, entry 2 (rollback) boots v1")
	}
	if ok, err := ck.expect(ctx, "the agent reports v2 healthy", awaitJournal(`update healthy.*version=[^ ]+`), commandTimeout, "", "update healthy", "version="+v2.Version); err != nil {
		return err
	} else if ok {
		env.step("update: ok: the agent's health check passed on v2")
	}
	next, err := locks.awaitCycle(ctx, env, "v1 -> v2", 0, 2*time.Minute)
	if err != nil {
		return m.Fail("the lock of the update to v2", err)
	}
	if err := ck.err(); err != nil {
		return err
	}
	v3, err := repo.add(ctx, v2, map[string]string{brokenDropIn: updateBrokenDropIn}, false)
	if err != nil {
		return err
	}
	env.step("update: serving v3 %s (%s, signed), whose %s fails; logging out", v3.Version, short(v3.Commit), healthUnit)
	if err := awaitAgentReboot(ctx, env, ck, "into v3"); err != nil {
		return err
	}
	// Boot 3 (v3): the health unit fails, the agent rolls back and reboots.
	tr := time.Now()
	if _, err := m.Expect(ctx, "wait for v3's login prompt", updateBootTimeout, []string{"login: "}, bootFailures...); err != nil {
		return err
	}
	env.step("update: v3 up after %s; waiting for the agent's rollback", timeSince(tr))
	tr = time.Now()
	if _, err := m.Expect(ctx, "wait for the agent's rollback reboot out of v3 (its health unit fails)", agentRebootTimeout, []string{rebootLine}, bootFailures...); err != nil {
		return err
	}
	env.step("update: the agent rebooted again %s after v3's login prompt (the rollback)", timeSince(tr))
	if err := relogin(ctx, env, ck, root, "fourth"); err != nil {
		return err
	}

	// Boot 4: v2 again, v3 denied, the slot given back.
	if ok, err := ck.expect(ctx, "v2 is booted again after the agent's rollback", "ostree admin status; echo release=$(cat "+releaseMarker+"); test -e "+brokenDropIn+" && echo v3-drop-in || echo no-v3-drop-in", commandTimeout, "",
		"* "+altcos.OSName+" "+v2.Commit+".", "Version: "+v2.Version, "release="+v2.Version, "no-v3-drop-in"); err != nil || !ok {
		return firstErr(err, ck.err())
	}
	env.step("update: ok: the agent rolled back from v3 to v2 by itself")
	if ok, err := ck.expect(ctx, "the agent denies v3 for its failed health check", "cat /var/lib/altcos-updated/state.json", commandTimeout, "",
		`"`+v3.Commit+`": "health check failed: unit `+healthUnit+` failed"`); err != nil {
		return err
	} else if ok {
		env.step("update: ok: /var/lib/altcos-updated/state.json denies v3: health check failed")
	}
	if _, err := locks.awaitCycle(ctx, env, "v2 -> v3 -> v2", next, 2*time.Minute); err != nil {
		return m.Fail("the lock of the update to v3", err)
	}
	if ok, err := ck.expect(ctx, "v3 not offered after the rollback", "altcos-update check; "+agentJournal+" | grep -c 'update available.*version="+v3.Version+"' || true", commandTimeout, "", "no update offered for "+v2.Version+"\n0"); err != nil {
		return err
	} else if ok {
		env.step("update: ok: neither altcos-update check nor the agent offers v3 again")
	}

	// Still boot 4: an unsigned v4 is refused; nothing changes.
	v4, err := repo.add(ctx, v3, nil, true)
	if err != nil {
		return err
	}
	env.step("update: serving v4 %s (%s, unsigned)", v4.Version, short(v4.Commit))
	if ok, err := ck.expect(ctx, "the agent refuses the unsigned v4", awaitJournal("commit [0-9a-f]+ has no signature"), commandTimeout, "", "commit "+v4.Commit+" has no signature"); err != nil {
		return err
	} else if ok {
		env.step("update: ok: the agent refused v4: commit %s has no signature", short(v4.Commit))
	}
	if ok, err := ck.expect(ctx, "v2 stays booted, nothing pending", "altcos-update status --json | tr -d ' \\n'", commandTimeout, "",
		`"booted":{"index":0,"osname":"`+altcos.OSName+`","checksum":"`+v2.Commit+`"`, `"pending":null`); err != nil {
		return err
	} else if ok {
		env.step("update: ok: v2 is still booted and nothing is pending")
	}
	if err := ck.err(); err != nil {
		return err
	}
	_ = m.SendLine("poweroff")
	_ = m.Wait(ctx, 2*time.Minute)
	return nil
}

func firstErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

// awaitAgentReboot logs out of the console (a logged-in user postpones
// the agent's reboot) and waits until the kernel restarts the machine.
func awaitAgentReboot(ctx context.Context, env *Env, ck *checks, into string) error {
	if err := ck.m.SendLine("exit"); err != nil {
		return err
	}
	t0 := time.Now()
	if _, err := ck.m.Expect(ctx, "wait for the agent's reboot "+into, agentRebootTimeout, []string{rebootLine}, bootFailures...); err != nil {
		return err
	}
	env.step("update: the agent rebooted %s %s after the logout", into, timeSince(t0))
	return nil
}

// relogin logs in again as root once the machine of ck is back.
func relogin(ctx context.Context, env *Env, ck *checks, root account, which string) error {
	t0 := time.Now()
	sh, err := login(ctx, ck.m, root.User, root.Password, updateBootTimeout)
	if err != nil {
		return err
	}
	ck.sh = sh
	env.step("update: %s boot, logged in after %s", which, timeSince(t0))
	return nil
}
