package bootloader

import (
	"fmt"
	"strconv"
	"strings"
)

// MenuOptions shape the static /grub/grub.cfg.
type MenuOptions struct {
	// Serial is the GRUB serial unit and speed from a console=ttySN,SPEED
	// argument; nil keeps GRUB on the screen only.
	Serial *Serial
	// Timeout in seconds before the default (newest) entry boots.
	Timeout int
}

// Serial is a serial port for GRUB's terminal.
type Serial struct {
	Unit  int
	Speed int
}

// SerialFromConsole finds the first console=ttyS<unit>[,<speed>] argument.
func SerialFromConsole(consoles []string) *Serial {
	for _, c := range consoles {
		c = strings.TrimPrefix(c, "console=")
		rest, ok := strings.CutPrefix(c, "ttyS")
		if !ok {
			continue
		}
		unitStr, opts, _ := strings.Cut(rest, ",")
		unit, err := strconv.Atoi(unitStr)
		if err != nil {
			continue
		}
		s := &Serial{Unit: unit, Speed: 115200}
		digits := strings.TrimRightFunc(opts, func(r rune) bool { return r < '0' || r > '9' })
		if sp, err := strconv.Atoi(digits); err == nil && sp > 0 {
			s.Speed = sp
		}
		return s
	}
	return nil
}

// Menu renders the static /grub/grub.cfg of the boot partition. $root is the
// boot partition (the embedded config found it by UUID). The entries are
// ostree's, in /loader/grub.cfg, rewritten by every deploy.
func Menu(o MenuOptions) string {
	var b strings.Builder
	b.WriteString("# ALTCOS boot menu, written by altcos-installer.\n")
	b.WriteString("# The entries are ostree's (/loader/grub.cfg on this partition, rewritten by\n")
	b.WriteString("# every `ostree admin deploy`); the newest deployment is the first and the default.\n")
	fmt.Fprintf(&b, "set timeout=%d\nset default=0\n", o.Timeout)
	if o.Serial != nil {
		fmt.Fprintf(&b, "serial --unit=%d --speed=%d\nterminal_input serial console\nterminal_output serial console\n", o.Serial.Unit, o.Serial.Speed)
	}
	b.WriteString(`
# First boot: the installer leaves the stamp ignition.firstboot on this
# partition; the entries pass $ignition_firstboot to the kernel so that
# Ignition runs once (it removes the stamp).
set ignition_firstboot=""
if [ -e ($root)/ignition.firstboot ]; then
  set ignition_firstboot=ignition.firstboot
fi

# ostree's entries call load_video, which grub-mkconfig's header would define.
function load_video {
  insmod all_video
}

if [ -e ($root)/loader/grub.cfg ]; then
  source ($root)/loader/grub.cfg
else
  echo "ALTCOS: no /loader/grub.cfg on the boot partition; no deployment to boot"
fi
`)
	return b.String()
}
