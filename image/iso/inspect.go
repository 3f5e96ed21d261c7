package iso

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem/iso9660"

	"github.com/altcos/altcos-tools/deployarchive"
	"github.com/altcos/altcos-tools/initramfs/live"
)

// Contents is what Inspect reads back from an ISO.
type Contents struct {
	Info          Info
	Manifest      *deployarchive.Manifest
	Customization *live.Customization // nil when not customized
	Ignition      []byte              // the embedded config, or nil
	// Files are the customization's hooks and installer configs by their
	// names in the medium's altcos/ folder (hooks/NAME, installer.d/NAME).
	Files    map[string][]byte
	BIOSMenu string
	EFIMenu  string
}

// Inspect reads the build record, manifest, menus and customization of a
// live ISO with go-diskfs (no mount, no external tool).
func Inspect(iso string) (*Contents, error) {
	b, err := file.OpenFromPath(iso, true)
	if err != nil {
		return nil, fmt.Errorf("open ISO %s: %w", iso, err)
	}
	defer b.Close()
	st, err := os.Stat(iso)
	if err != nil {
		return nil, err
	}
	fsys, err := iso9660.Read(b, st.Size(), 0, 2048)
	if err != nil {
		return nil, fmt.Errorf("%s is not an ISO (no ISO 9660 filesystem): %w", iso, err)
	}
	read := func(p string) ([]byte, error) {
		f, err := fsys.OpenFile(p, os.O_RDONLY)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return io.ReadAll(f)
	}
	var c Contents
	medium := "/" + deployarchive.MediumDir + "/"
	data, err := read(medium + InfoName)
	if err != nil {
		return nil, fmt.Errorf("%s is not an ALTCOS live ISO (no %s%s): %w", iso, medium, InfoName, err)
	}
	if err := json.Unmarshal(data, &c.Info); err != nil {
		return nil, fmt.Errorf("parse %s%s of %s: %w", medium, InfoName, iso, err)
	}
	if data, err := read(medium + deployarchive.ManifestName); err == nil {
		var m deployarchive.Manifest
		if err := json.Unmarshal(data, &m); err == nil {
			c.Manifest = &m
		}
	}
	if data, err := read("/" + isoBIOSMenu); err == nil {
		c.BIOSMenu = string(data)
	}
	if data, err := read("/" + isoEFIMenu); err == nil {
		c.EFIMenu = string(data)
	}
	data, err = read(medium + live.CustomizeName)
	switch {
	case err == nil:
		if c.Customization, err = live.ParseCustomization(data); err != nil {
			return nil, fmt.Errorf("%s: %w", iso, err)
		}
	case !errors.Is(err, fs.ErrNotExist) && !strings.Contains(err.Error(), "not exist") && !strings.Contains(err.Error(), "not found"):
		return nil, fmt.Errorf("read %s%s of %s: %w", medium, live.CustomizeName, iso, err)
	}
	if c.Customization != nil && c.Customization.Ignition {
		if c.Ignition, err = read(medium + live.IgnitionName); err != nil {
			return nil, fmt.Errorf("%s says it carries an Ignition config, but: %w", iso, err)
		}
	}
	if cz := c.Customization; cz != nil {
		c.Files = map[string][]byte{}
		for _, n := range customNames(cz) {
			if c.Files[n], err = read(medium + n); err != nil {
				return nil, fmt.Errorf("%s names %s in its %s, but: %w", iso, n, live.CustomizeName, err)
			}
		}
	}
	return &c, nil
}

// customNames are the hooks' and installer configs' names in a
// customization's folder.
func customNames(c *live.Customization) []string {
	var names []string
	for _, h := range append(append([]string(nil), c.PreInstall...), c.PostInstall...) {
		names = append(names, live.HooksDir+"/"+h)
	}
	for _, y := range c.InstallerConfigs {
		names = append(names, live.InstallerConfigDir+"/"+y)
	}
	return names
}
