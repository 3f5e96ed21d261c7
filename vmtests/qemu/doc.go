// Package qemu is the machine-test harness: it starts QEMU machines from a
// declarative Config (firmware, drives, kernel, fw_cfg, user network), drains
// their serial console into memory and a log file, and waits for console
// output with a deadline per step (Machine.Expect). Around it: blank and
// overlay disks and their digests (disk.go), a loopback HTTP server the guest
// reaches at GuestHost (server.go), a self-test guest (a Debian cloud kernel
// with a busybox initramfs, smoke.go) and the KVM probe built on it
// (accel.go). It knows nothing of ALTCOS: the scenarios are in vmtests.
//
// The driver is our own, over exec: hugelgupf/vmtest's qemu package was
// considered first, but its expect layer (Netflix/go-expect) has only an idle
// read timeout, not a deadline per step, re-reads the whole buffer for every
// byte, and runs QEMU on a pty that stalls the guest when no Expect is
// reading. Here the console is a pipe drained all the time, and every wait
// has its own deadline.
//
// A failed wait returns a *consoleError carrying the console's tail and the
// path of the whole log, which stays in Config.OutDir.
package qemu
