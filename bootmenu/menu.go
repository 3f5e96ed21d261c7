// Package bootmenu renders GRUB menus as text from a small struct. The live
// ISO's menus for BIOS (El Torito) and UEFI come from ISO; golden files under
// testdata/ pin the exact text, so a change to a menu is a reviewed diff.
package bootmenu

import (
	"fmt"
	"strings"
)

// Menu is one grub.cfg.
type Menu struct {
	// Comment is written as the first lines (without "# ").
	Comment string
	// Timeout in seconds before Default boots; 0 boots at once, -1 waits forever.
	Timeout int
	// Default is the index of the entry booted after Timeout.
	Default int
	// Serial makes GRUB draw the menu on the first serial port too
	// (115200 8N1), so a machine with only a serial console sees it.
	Serial bool
	// SearchLabel, when set, makes the filesystem with this label GRUB's
	// root, so kernel and initrd paths work whether the medium is a CD
	// (El Torito) or a USB stick written with dd.
	SearchLabel string
	Entries     []Entry
}

// Entry is one menu entry: either a Linux boot (Linux set), a chainload of
// another boot sector (Chainload set), or a return to the firmware (Exit).
type Entry struct {
	Title  string
	ID     string
	Linux  string   // kernel path
	Initrd []string // initrd paths, loaded in order
	Args   []string // kernel arguments
	// Root and Chainload boot another loader, e.g. Root "(hd0)", Chainload "+1".
	Root      string
	Chainload string
	// Exit returns to the firmware, which tries its next boot option (UEFI).
	Exit bool
}

// unsafe are characters that would end a GRUB word or statement inside a menu
// entry; none of them belongs in a title, path or kernel argument we write.
const unsafe = "'\"\n\r;{}$`\\"

func checkWord(what, s string) error {
	if i := strings.IndexAny(s, unsafe); i >= 0 {
		return fmt.Errorf("%s %q contains %q, which GRUB would misread; leave it out", what, s, s[i])
	}
	return nil
}

// Render returns m as grub.cfg text.
func Render(m Menu) (string, error) {
	if len(m.Entries) == 0 {
		return "", fmt.Errorf("menu has no entries")
	}
	if m.Default < 0 || m.Default >= len(m.Entries) {
		return "", fmt.Errorf("menu default %d is not an entry (0..%d)", m.Default, len(m.Entries)-1)
	}
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(m.Comment), "\n") {
		if line != "" {
			fmt.Fprintf(&b, "# %s\n", line)
		}
	}
	if m.Serial {
		b.WriteString("serial --unit=0 --speed=115200 --word=8 --parity=no --stop=1\n")
		b.WriteString("terminal_input console serial\n")
		b.WriteString("terminal_output console serial\n")
	}
	if m.SearchLabel != "" {
		if err := checkWord("label", m.SearchLabel); err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "search --no-floppy --set=root --label '%s'\n", m.SearchLabel)
	}
	fmt.Fprintf(&b, "set default=%d\n", m.Default)
	fmt.Fprintf(&b, "set timeout=%d\n", m.Timeout)
	for i, e := range m.Entries {
		if err := renderEntry(&b, e); err != nil {
			return "", fmt.Errorf("menu entry %d (%q): %w", i, e.Title, err)
		}
	}
	return b.String(), nil
}

func renderEntry(b *strings.Builder, e Entry) error {
	for _, w := range [][2]string{{"title", e.Title}, {"id", e.ID}, {"kernel path", e.Linux}, {"root", e.Root}, {"chainload", e.Chainload}} {
		if err := checkWord(w[0], w[1]); err != nil {
			return err
		}
	}
	for _, w := range append(append([]string(nil), e.Initrd...), e.Args...) {
		if err := checkWord("argument", w); err != nil {
			return err
		}
		if w == "" || strings.ContainsAny(w, " \t") {
			return fmt.Errorf("argument %q is empty or has blanks; give each kernel argument on its own", w)
		}
	}
	kinds := 0
	for _, set := range []bool{e.Linux != "", e.Chainload != "", e.Exit} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		return fmt.Errorf("an entry boots exactly one of a kernel, a chainload or an exit to firmware")
	}
	if e.Title == "" {
		return fmt.Errorf("entry has no title")
	}
	fmt.Fprintf(b, "\nmenuentry '%s'", e.Title)
	if e.ID != "" {
		fmt.Fprintf(b, " --id '%s'", e.ID)
	}
	b.WriteString(" {\n")
	switch {
	case e.Linux != "":
		line := append([]string{"linux", e.Linux}, e.Args...)
		fmt.Fprintf(b, "\t%s\n", strings.Join(line, " "))
		if len(e.Initrd) > 0 {
			fmt.Fprintf(b, "\tinitrd %s\n", strings.Join(e.Initrd, " "))
		}
	case e.Chainload != "":
		if e.Root != "" {
			fmt.Fprintf(b, "\tset root=%s\n", e.Root)
		}
		fmt.Fprintf(b, "\tchainloader %s\n", e.Chainload)
	case e.Exit:
		b.WriteString("\texit\n")
	}
	b.WriteString("}\n")
	return nil
}
