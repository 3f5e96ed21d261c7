package vmtests

import (
	"bytes"
	"io"
	"regexp"
	"strings"

	"github.com/altcos/altcos-tools/vmtests/qemu"
)

// kernelLine is a kernel log line on the console ("[   12.345678] ...").
var kernelLine = regexp.MustCompile(`^\[\s*\d+\.\d+\]`)

// progressLines passes on what a person watching an install wants of a live
// system's console: once the kernel has started, every line that is not a
// kernel message (the live system's own lines, its hints, the installer's
// steps and percentages), each after prefix. The firmware's and the boot
// menu's output and the kernel's messages stay in the console log.
type progressLines struct {
	w       io.Writer
	prefix  string
	started bool
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
	case s == "" || kernelLine.MatchString(s):
	default:
		_, _ = io.WriteString(p.w, p.prefix+s+"\n")
	}
}
