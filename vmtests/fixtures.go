package vmtests

import (
	_ "embed"
	"time"
)

// Test fixtures. The passwords are test values, known to everyone; they are
// still never printed: the console shows only what the guest echoes.
var (
	//go:embed testdata/vmtest.ign
	vmtestIgnition []byte
	//go:embed testdata/invalid.ign
	invalidIgnition []byte
	//go:embed testdata/demo.ign
	demoIgnition []byte
)

// Credentials of the fixtures.
const (
	// vmtestUser and vmtestUserPassword are the user testdata/vmtest.ign creates.
	vmtestUser         = "vmtest"
	vmtestUserPassword = "vmtest-user-pw"
	// rootPassword is the root password the tests set at install time;
	// rootPasswordHash is its yescrypt hash (mkpasswd --method=yescrypt).
	rootPassword     = "vmtest-root-pw"
	rootPasswordHash = "$y$j9T$9XhvRzFyn9jQFdrQPzAkK.$zou9fnpJqGSB40YiWBqLq.QQlooHSsATeDQYuNAEXw2"
	// demoUser and demoPassword log in to the demo's installed system
	// (testdata/demo.ign sets the password of the OS's altcos user).
	demoUser     = "altcos"
	demoPassword = "altcos"
	// guestDisk is the blank disk as the guest sees it (the first virtio disk).
	guestDisk = "/dev/vda"
	// brokenDisk is the install target of ALTCOS_VMTEST_BREAK=1 runs.
	brokenDisk = "/dev/nonexistent"
	// serialKarg puts the installed system's console on the serial port.
	serialKarg = "console=ttyS0,115200n8"
)

// Live system console lines (initramfs/live prints them).
const (
	liveInstallDone = "install finished; rebooting."
	// installerDone is the installer's own last line ("ALTCOS <version>
	// installed on /dev/vda"); unattended, it reboots right after it.
	installerDone = " installed on /dev/"
	// installerFirstStep is the installer's first progress line ("[1/12] ...").
	installerFirstStep = "[1/"
	liveInstallFailed  = "UNATTENDED INSTALL FAILED"
	liveReady          = "ALTCOS live system ready"
	liveNoMedium       = "altcos-live: no boot medium"
)

// Timeouts under TCG on a shared 2-core machine; KVM needs a fraction.
var (
	liveBootTimeout = 5 * time.Minute
	installTimeout  = 25 * time.Minute
	diskBootTimeout = 12 * time.Minute
	commandTimeout  = 3 * time.Minute
)

// diskSize is the size of a test's blank disk: the installer's default minimum.
const diskSize = "8G"
