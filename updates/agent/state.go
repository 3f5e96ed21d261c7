package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// DefaultStatePath keeps the agent's memory across reboots (in /var, which
// every deployment shares).
const DefaultStatePath = "/var/lib/altcos-updated/state.json"

// State is what the agent remembers across reboots.
type State struct {
	// Staged is the commit the agent deployed and has not rebooted into yet.
	Staged string `json:"staged,omitempty"`
	// Rebooting is the update the node rebooted into; after the boot it is
	// health-checked and then cleared.
	Rebooting *Attempt `json:"rebooting,omitempty"`
	// Denied are commits never to offer again, with the reason.
	Denied map[string]string `json:"denied,omitempty"`
}

// Attempt is one reboot into an update.
type Attempt struct {
	Commit  string    `json:"commit"`
	Version string    `json:"version"`
	From    string    `json:"from"`
	At      time.Time `json:"at"`
}

// LoadState reads the state file; a missing file is an empty state.
func LoadState(path string) (*State, error) {
	st := &State{}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read agent state %s: %w", path, err)
	}
	if err := json.Unmarshal(data, st); err != nil {
		return nil, fmt.Errorf("agent state %s is not valid JSON (%v); move it away to start afresh", path, err)
	}
	return st, nil
}

// Save writes the state atomically (temp file, fsync, rename).
func (st *State) Save(path string) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("save agent state: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".state-*.json")
	if err != nil {
		return fmt.Errorf("save agent state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("save agent state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save agent state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save agent state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save agent state: %w", err)
	}
	return nil
}

// Deny records a commit never to offer again.
func (st *State) Deny(commit, reason string) {
	if st.Denied == nil {
		st.Denied = map[string]string{}
	}
	st.Denied[commit] = reason
}
