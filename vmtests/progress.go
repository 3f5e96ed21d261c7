package vmtests

import (
	"bytes"
	"io"
	"regexp"
	"strings"

	"github.com/altcos/altcos-tools/vmtests/qemu"
)

// kernelLine is a kernel log line on the console ("[   12.345678] ...");
// goLogLine one of a u-root command's log ("2026/12/01 15:54:26 ..."), such
// as dhclient's, whose DHCP message dump follows its "Got DHCPv4 lease"
// line up to its next log line.
var (
	kernelLine = regexp.MustCompile(`^\[\s*\d+\.\d+\]`)
	goLogLine  = regexp.MustCompile(`^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d `)
)

// progressLines passes on what a person watching an install wants of a live
// system's console: once the kernel has started, every line that is not a
// kernel message or a u-root command's log (the live system's own lines, its
// hints, the installer's steps and percentages), each after prefix. The
// firmware's and the boot menu's output, the kernel's messages and DHCP's
// chatter stay in the console log.
type progressLines struct {
	w       io.Writer
	prefix  string
	started bool
	dump    bool // inside a DHCP message dump
	partial []byte
}

func (p *progressLines) Write(b []byte) (int, error) {
	p.partial = append(p.partial, b...)
	for {
		i := bytes.IndexByte(p.partial, '\n')
		if i < 0 {
			break
		}
		p.line(string(p.partial[:i]))
		p.partial = p.partial[i+1:]
	}
	return len(b), nil
}

func (p *progressLines) line(raw string) {
	// A line redrawn in place (\r) counts as its last state.
	s := strings.TrimSpace(qemu.Tail(raw, 1))
	switch {
	case !p.started:
		p.started = strings.Contains(s, "Linux version ")
	case goLogLine.MatchString(s):
		p.dump = strings.Contains(s, "DHCPv4 Message")
	case p.dump || s == "" || kernelLine.MatchString(s):
	default:
		_, _ = io.WriteString(p.w, p.prefix+s+"\n")
	}
}
