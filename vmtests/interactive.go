package vmtests

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/altcos/altcos-tools/bootmenu"
	"github.com/altcos/altcos-tools/vmtests/qemu"
)

// interactive is what an operator at a serial-only machine (IPMI SOL) does:
// every machine of the harness has no display, so ttyS0 is the only console.
// Nothing is typed at the ISO's menu: its default entry boots after the
// timeout, the live shell answers on the serial line, and the installer,
// started without a disk, asks for what it needs there. The installed disk
// then boots to a login on the serial line with the consoles the installer
// carried over from the live system (no console= given), and checkAsRoot
// checks it. The run's later scenarios may reuse the disk (leaveDisk).
func interactive(ctx context.Context, env *Env) error {
	if env.Art.ISO == "" {
		return missingf("no live ISO: give --iso or ALTCOS_VMTEST_ISO (make iso builds one)")
	}
	consoles, err := isoDefaultConsoles()
	if err != nil {
		return err
	}
	srv, disk, err := serveConfigOnBlankDisk(ctx, env)
	if err != nil {
		return err
	}
	defer srv.Close()
	c := env.machine("interactive-install", qemu.BIOS)
	c.NoReboot = true
	c.Net = true
	c.Drives = []qemu.Drive{{Path: disk, BootIndex: 2}, {Path: env.Art.ISO, CDROM: true, BootIndex: 1}}
	env.step("%s: booting the live ISO serial-only; nothing typed at the menu: its default entry boots", c.Name)
	m, err := qemu.Start(ctx, env.Log, c)
	if err != nil {
		return err
	}
	defer m.Close()
	// GRUB draws the menu on the serial port too; the kernel then echoes
	// its command line: the default entry's consoles, tty0 (no screen
	// here) last, so /dev/console is not the serial line.
	if _, err := m.Expect(ctx, "the live ISO's boot menu", liveBootTimeout, []string{"Install ALTCOS (serial console)"}); err != nil {
		return err
	}
	if _, err := m.Expect(ctx, "the default entry boots", liveBootTimeout, []string{consoles}); err != nil {
		return err
	}
	if _, err := m.Expect(ctx, "live system ready", liveBootTimeout, []string{liveReady}, "Kernel panic", liveNoMedium); err != nil {
		return err
	}
	// The live system's shell on the serial line: start the installer
	// without a disk, so it asks. Type only once its line editor is drawn:
	// keys sent while it still queries the terminal (colours, cursor
	// position) are lost.
	if _, err := m.Expect(ctx, "the live shell's prompt on the serial line", liveBootTimeout, []string{"toggle key help"}); err != nil {
		return err
	}
	env.step("%s: the default entry (%s) gave a shell on the serial line", c.Name, consoles)
	time.Sleep(2 * time.Second)
	cmd := fmt.Sprintf("altcos-installer install --ignition-url %s --ignition-hash sha256-%s", srv.GuestURL("config.ign"), sha256Hex(vmtestIgnition))
	if err := m.SendLine(cmd); err != nil {
		return err
	}
	if err := answerPrompts(ctx, env, m, installTimeout); err != nil {
		return err
	}
	if err := m.Wait(ctx, 3*time.Minute); err != nil && !m.Exited() {
		return err
	}
	m.Close()
	if err := checkAsRoot(ctx, env, env.diskMachine("interactive-disk", qemu.BIOS, disk, "raw"), firstBootOnly, nil); err != nil {
		return err
	}
	env.leaveDisk("interactive", disk)
	return nil
}

// isoDefaultConsoles are the console= arguments of the ISO menu's default
// entry, as the kernel echoes them.
func isoDefaultConsoles() (string, error) {
	menu, err := bootmenu.ISO(bootmenu.ISOOptions{Firmware: bootmenu.BIOS, Label: "ALTCOS"})
	if err != nil {
		return "", err
	}
	var cons []string
	for _, a := range menu.Entries[menu.Default].Args {
		if strings.HasPrefix(a, "console=") {
			cons = append(cons, a)
		}
	}
	return strings.Join(cons, " "), nil
}

// A prompt of the installer and what the operator answers.
type prompt struct {
	label  string // as the installer prints it
	answer func(screen string) string
}

// installerPrompts are the installer's questions (internal/cli/installer and
// installer/prompt): the disk, the root password twice, the wipe and the
// reboot confirmations.
var installerPrompts = []prompt{
	{"Install ALTCOS on which disk?", func(screen string) string {
		if strings.Contains(screen, "Enter a number") {
			return "1" // the plain-line prompter: the only usable disk is 1
		}
		return "" // promptui: the first disk is highlighted; Enter takes it
	}},
	{"Root password (empty", func(string) string { return rootPassword }},
	{"Root password again", func(string) string { return rootPassword }},
	{"Reboot now?", func(string) string { return "y" }},
	{"[y/N]", func(string) string { return "y" }},
}

// answerPrompts reads the console like an operator reads the screen: when it
// has been quiet for a moment, the lowest prompt on it that has not been
// answered yet is the question asked now, and it is answered once. Each
// question is asked once in an install that goes right; promptui redraws its
// prompts, and may draw a prompt's final state after the next prompt is
// already up, so a question seen again is a redraw, never a new question
// (answering it would put the password into the next one). It returns when
// the machine stops (the reboot, with NoReboot), or fails on the installer's
// error or at the deadline.
func answerPrompts(ctx context.Context, env *Env, m *qemu.Machine, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	answeredAt, answered := 0, map[string]bool{}
	for !m.Exited() {
		if time.Now().After(deadline) {
			return m.Fail("answer the installer's prompts", fmt.Errorf("no reboot after %s: %w", timeout, qemu.ErrTimeout))
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		m.Settle(1500*time.Millisecond, 10*time.Second)
		out := m.Console.Output()
		if len(out) == answeredAt {
			time.Sleep(time.Second)
			continue
		}
		screen := qemu.Tail(out[answeredAt:], 60)
		// The installer's errors start with its name; the live shell is back.
		for _, bad := range []string{"altcos-installer: ", "Kernel panic"} {
			if i := strings.LastIndex(screen, bad); i >= 0 {
				return m.Fail("answer the installer's prompts", fmt.Errorf("the installer stopped: %q", firstLine(screen[i:])))
			}
		}
		best := pickPrompt(screen, answered)
		if best < 0 {
			time.Sleep(time.Second)
			continue
		}
		p := installerPrompts[best]
		answered[p.label] = true
		a := p.answer(screen)
		shown := a
		if strings.HasPrefix(p.label, "Root password") {
			shown = "(the root password)"
		}
		env.step("%s: prompt %q: answering %q", m.Name, p.label, shown)
		if err := m.SendLine(a); err != nil {
			return err
		}
		answeredAt = len(out)
	}
	return nil
}

// pickPrompt is the index in installerPrompts of the question on screen to
// answer now, or -1: the unanswered prompt on the lowest line; on one line
// ("Reboot now? [y/N]") the more specific label, listed first.
func pickPrompt(screen string, answered map[string]bool) int {
	best, at := -1, -1
	for i, p := range installerPrompts {
		if answered[p.label] {
			continue
		}
		j := strings.LastIndex(screen, p.label)
		if j < 0 {
			continue
		}
		if line := strings.LastIndex(screen[:j], "\n") + 1; line > at {
			best, at = i, line
		}
	}
	return best
}
