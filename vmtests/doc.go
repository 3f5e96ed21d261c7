// Package vmtests holds ALTCOS's machine tests (tier 2): scenarios that boot
// the built artifacts (the live ISO, the PXE kernel and initramfs, the QCOW2
// image) in QEMU, install, reboot and check the installed system from its
// serial console. Each scenario is one file (scenario.go lists them in the
// order they run); Run runs a list of them within a time budget, for the Go
// test TestScenarios (gated by ALTCOS_VMTEST=1) and for cmd/altcos-vmtest,
// which a distribution's CI runs against its own artifacts. The QEMU harness
// itself is vmtests/qemu.
//
// Environment of the tests and of altcos-vmtest:
//
//	ALTCOS_VMTEST=1            run the tier-2 tests (go test ./vmtests)
//	ALTCOS_VMTEST_ISO          live ISO            (altcos-vmtest --iso)
//	ALTCOS_VMTEST_PXE_DIR      PXE folder          (--pxe-dir)
//	ALTCOS_VMTEST_QCOW2        QCOW2 image         (--qcow2)
//	ALTCOS_VMTEST_MANIFEST     deploy.json the installs must show (--manifest)
//	ALTCOS_VMTEST_REPO         ostree repository of the QCOW2's commit (--repo)
//	ALTCOS_VMTEST_GPG_KEY      the key that signed it; update-rollback signs its updates with it (--gpg-key)
//	ALTCOS_VMTEST_GPG_HOMEDIR  that key's GnuPG home (--gpg-homedir)
//	ALTCOS_VMTEST_ARTIFACTS    a build output folder to find the above in (--artifacts)
//	ALTCOS_VMTEST_ACCEL        tcg or kvm; unset: probe KVM with a short boot
//	ALTCOS_VMTEST_CPUS         virtual CPUs per machine (--cpus; default 2 on a host with two cores or more, else 1); TCG runs them multi-threaded
//	ALTCOS_VMTEST_BREAK=1      install onto /dev/nonexistent (a red run, on purpose)
//	ALTCOS_VMTEST_OUT          console logs and disks (default out/vmtest)
//	ALTCOS_REQUIRE_TOOLS=1     a missing artifact fails the test instead of skipping it
//	VMTEST_BUDGET_SECS         time budget of the run; scenarios that no longer fit are skipped by name
//	ALTCOS_TOOL_ALTCOS_BUILD   the altcos-build used for `iso customize`
//
// On failure the console log stays in the scenario's folder and the error
// carries its tail.
package vmtests
