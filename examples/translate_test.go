package examples

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	"github.com/altcos/altcos-tools/installer/ignition"
)

// translate reads a Butane file and returns the Ignition JSON the installer
// would install for it (the OS's spec), indented, with a final newline.
func translate(path string) ([]byte, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	ign, err := ignition.Validate(src, "")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, ign, "", "  "); err != nil {
		return nil, fmt.Errorf("%s: indent the Ignition JSON: %w", path, err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}
