package vmtests

import (
	"context"
	"time"
)

// Scenario is one machine test.
type Scenario struct {
	Name string
	Doc  string
	// Estimate is the most it takes under TCG on the CI machine (two shared
	// cores); a budgeted run starts it only when that much time is left.
	Estimate time.Duration
	Run      func(ctx context.Context, env *Env) error
}

// Scenarios lists every scenario in the order `make vmtest` runs them: the
// first proof of an install, then the cheap refusals, then this round's
// checks (static network and the power cut, Secure Boot, serial console,
// kept data, the agent's updates), then the older qcow2, so a short budget
// (CI's) skips what earlier runs have shown.
func Scenarios() []Scenario {
	// The estimates hold for one virtual CPU too (--cpus 1). With two (the
	// default), .ci/run on the idle CI machine took 3m22s-5m27s for an
	// install scenario, 20 s for a refusal.
	const install, refusal = 15 * time.Minute, 4 * time.Minute
	// update-rollback: four boots and the agent's own waits; 9m1s with two
	// virtual CPUs in .ci/run, 12m29s with one on main at load 1-2.5
	// (another machine running for half of it), 28m42s under load 12-20
	// (eight jobs on two cores).
	const update = 15 * time.Minute
	return []Scenario{
		{"bios-unattended", "unattended install from the customized live ISO on a SATA (AHCI) CD-ROM onto a SATA disk, BIOS; then boot it and check the installed system", install, biosUnattended},
		{"bad-ignition-url", "an unreachable Ignition URL: the installer says why and the disk stays byte-identical", refusal, badIgnitionURL},
		{"bad-ignition-config", "an invalid Ignition config: the installer says why and the disk stays byte-identical", refusal, badIgnitionConfig},
		{"pxe", "PXE-style boot (-kernel -initrd -append) with a static network installing unattended with Ignition from the host's HTTP server and its hash; first QEMU is killed during the deploy (the cut disk holds no boot code and boots no ALTCOS), then the install onto the cut disk succeeds and boots", install, pxeInstall},
		{"uefi-unattended", "unattended install from the customized live ISO written to a USB stick, its only medium, UEFI with Secure Boot on (OVMF, Microsoft's keys): shim, signed GRUB, signed kernel; then boot and check, Secure Boot on", install, uefiUnattended},
		{"interactive", "a serial-only machine: the live ISO's default menu entry, untouched, gives a shell on the serial line; install there: choose the disk, y, root password twice, y to reboot; the installed system logs in on the serial line", install, interactive},
		{"reinstall-keep-data", "a data partition with a file added after the install (interactive's disk, else a PXE install first); a PXE reinstall with altcos.inst.save_partlabel=data keeps it byte for byte and boots, and the file has its sha256", install, reinstallKeepData},
		{"update-rollback", "the QCOW2 of v1, its agent on fleet_lock against altcos-fleetlock on the host, updates itself to a signed v2 under the lock (nothing typed), rolls back by itself from a v3 that fails its health check and never offers it again, and refuses an unsigned v4", update, updateRollback},
		{"qcow2", "boot the QCOW2 image under UEFI with Secure Boot off, Ignition from fw_cfg (plus the example configs), and check it, and as altcos: docker, docker-compose and rootless podman", 15 * time.Minute, qcow2},
	}
}

// lookup finds a scenario by name.
func lookup(name string) (Scenario, bool) {
	for _, s := range Scenarios() {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
}
