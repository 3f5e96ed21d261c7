package iso

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/altcos/altcos-tools/bootmenu"
)

// Info is /altcos/iso.json: what `iso customize` needs to redo the menus.
type Info struct {
	Format   int      `json:"format"` // 1
	Label    string   `json:"label"`
	LiveArgs []string `json:"live_kargs,omitempty"`
	// BuiltLiveArgs are LiveArgs as built, recorded when they first change
	// (`iso kargs reset` and `iso reset` go back to them); nil before.
	BuiltLiveArgs *[]string `json:"built_live_kargs,omitempty"`
	Stream        string    `json:"stream"`
	Version       string    `json:"version"`
	Commit        string    `json:"commit"`
}

var labelBad = regexp.MustCompile(`[^A-Z0-9_-]+`)

// Label is the volume label of a stream's version: "ALTCOS-" + stream +
// "-" + the version without its stream, upper case, in ISO 9660's
// d-characters plus '-', at most 32 characters. Every label starts with
// "ALTCOS": the installer's disk discovery and the live init look for that.
func Label(stream, version string) string {
	v := strings.TrimPrefix(version, stream+".")
	l := "ALTCOS-" + strings.ToUpper(stream) + "-" + strings.ToUpper(v)
	l = labelBad.ReplaceAllString(l, "-")
	if len(l) > 32 {
		l = l[:32]
	}
	return strings.TrimRight(l, "-")
}

// The menus as writeMenus names them in its folder.
const (
	biosMenuFile = "grub-bios.cfg"
	efiMenuFile  = "grub-efi.cfg"
)

// writeMenus renders the BIOS and UEFI menus (biosMenuFile, efiMenuFile)
// and the build record (InfoName) of info into dir: what Build puts on a
// new ISO and Customize replaces on a copy.
func writeMenus(dir string, info Info) error {
	for _, fw := range []struct {
		f    bootmenu.Firmware
		name string
	}{{bootmenu.BIOS, biosMenuFile}, {bootmenu.UEFI, efiMenuFile}} {
		text, err := bootmenu.RenderISO(bootmenu.ISOOptions{Firmware: fw.f, Label: info.Label, ExtraArgs: info.LiveArgs})
		if err != nil {
			return fmt.Errorf("%s menu: %w", fw.f, err)
		}
		if err := os.WriteFile(filepath.Join(dir, fw.name), []byte(text), 0o644); err != nil {
			return err
		}
	}
	b, _ := json.MarshalIndent(info, "", "  ") // strings and a number always marshal
	return os.WriteFile(filepath.Join(dir, InfoName), append(b, '\n'), 0o644)
}
