package vmtests

import (
	"strings"
	"testing"
)

// What a person sees of a live install's console: no firmware, boot menu or
// kernel lines; the live system's and the installer's lines, in pieces too.
func TestProgressLines(t *testing.T) {
	var out strings.Builder
	p := &progressLines{w: &out, prefix: "  | "}
	console := "SeaBIOS (version 1.16)\r\n\x1b[2J\x1b[1;1H  Install ALTCOS  \r\n" +
		"[    0.000000] Linux version 6.1.0-28-amd64\r\n[    1.234567] virtio_blk virtio1: [vda] 16777216 512-byte logical blocks\r\n" +
		"altcos-live: the medium asks for an unattended install onto /dev/vda\r\n\r\n" +
		"2026/12/01 15:54:26 Got DHCPv4 lease on eth0: DHCPv4 Message\r\n  opcode: BootReply\r\nyour IP: 10.0.2.15\r\n" +
		"2026/12/01 15:54:26 Configured eth0 with IPv4 DHCP Lease IP 10.0.2.15/24\r\n" +
		"[3/12] deploy\r\ndeploy: 50% (1.0 GiB of 2.0 Gi"
	for _, piece := range []string{console[:40], console[40:200], console[200:]} {
		p.Write([]byte(piece))
	}
	p.Write([]byte("B)\r\n[   80.1] reboot: Restarting system\r\n"))
	want := "  | altcos-live: the medium asks for an unattended install onto /dev/vda\n  | [3/12] deploy\n  | deploy: 50% (1.0 GiB of 2.0 GiB)\n"
	if out.String() != want {
		t.Errorf("progress lines:\n%q\nwant\n%q", out.String(), want)
	}
}
