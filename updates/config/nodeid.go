package config

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// AppID is the sd-id128 application ID of altcos-updated. The node UUID is
// derived from /etc/machine-id with it, the way
// `systemd-id128 machine-id -a APPID` does, so the machine ID itself never
// leaves the node.
const AppID = "7c4f0e6a2d1b4b8e9a35c2f1d6e0b871"

// NodeUUID returns the configured node_uuid, or derives it from the machine ID under root.
func (c *Config) NodeUUID(root string) (string, error) {
	if c.Identity.NodeUUID != "" {
		return c.Identity.NodeUUID, nil
	}
	p := filepath.Join(root, "etc/machine-id")
	data, err := os.ReadFile(p)
	if err != nil {
		return "", fmt.Errorf("node identity: read %s: %w; or set [identity] node_uuid", p, err)
	}
	return AppSpecificID(strings.TrimSpace(string(data)), AppID)
}

// AppSpecificID is sd_id128_get_machine_app_specific(): HMAC-SHA256 keyed
// with the machine ID over the application ID, truncated to 128 bits and
// marked as a version 4 UUID, in sd-id128 form (32 hex digits).
func AppSpecificID(machineID, appID string) (string, error) {
	key, err := hex.DecodeString(machineID)
	if err != nil || len(key) != 16 {
		return "", fmt.Errorf("machine ID %q is not 32 hex digits", machineID)
	}
	app, err := hex.DecodeString(appID)
	if err != nil || len(app) != 16 {
		return "", fmt.Errorf("application ID %q is not 32 hex digits", appID)
	}
	m := hmac.New(sha256.New, key)
	m.Write(app)
	id := m.Sum(nil)[:16]
	id[6] = id[6]&0x0f | 0x40
	id[8] = id[8]&0x3f | 0x80
	return hex.EncodeToString(id), nil
}
