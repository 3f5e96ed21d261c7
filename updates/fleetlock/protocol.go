// Package fleetlock is the FleetLock protocol (zincati's reboot coordination,
// docs/development/fleetlock/protocol.md in zincati): a client for the agent
// and a server that keeps one counting semaphore per node group in etcd.
//
// Requests are POSTs to {base}/v1/pre-reboot (take a slot, recursively: a
// holder asking again keeps its one slot) and {base}/v1/steady-state (give
// it back if held), with the header `fleet-lock-protocol: true` and the body
// {"client_params":{"id":ID,"group":GROUP}}. 200 means done; anything else
// failed, with a {"kind","value"} JSON error whose kinds are airlock's.
//
// The service itself is in fleetlock/server (it pulls in etcd; the agent
// needs only this package).
package fleetlock

import (
	"encoding/json"
	"fmt"
	"regexp"
)

// Protocol constants.
const (
	HeaderName       = "fleet-lock-protocol"
	HeaderValue      = "true"
	PreRebootPath    = "/v1/pre-reboot"
	SteadyStatePath  = "/v1/steady-state"
	StatusPath       = "/v1/status"
	MetricsPath      = "/metrics"
	MaxRequestBytes  = 64 << 10
	DefaultGroupName = "default"
)

// Error kinds (airlock's, so dashboards built for airlock read them).
const (
	KindInvalidClientIdentity = "invalid_client_identity"
	KindUnknownGroup          = "unknown_group"
	KindFailedSemInit         = "failed_sem_init"
	KindFailedLock            = "failed_lock"
	KindFailedUnlock          = "failed_unlock"
	KindGeneric               = "generic_error"
)

// ClientParams identify a node.
type ClientParams struct {
	ID    string `json:"id"`
	Group string `json:"group"`
}

// Request is the body of both endpoints.
type Request struct {
	ClientParams ClientParams `json:"client_params"`
}

// Error is the protocol's error value.
type Error struct {
	Code  int    `json:"-"`
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Kind, e.Value) }

func (e *Error) JSON() []byte {
	b, _ := json.Marshal(e)
	return b
}

var groupRE = regexp.MustCompile(`^[a-zA-Z0-9.-]+$`)

// MaxIDBytes bounds a client id; zincati sends a 32-hex-digit node id.
const MaxIDBytes = 128

// validID is the client id's charset: the id is stored in etcd, logged and
// shown by /v1/status, so newlines, NULs and terminal escapes stay out.
func validID(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == ':' || r == '-'
}

// ValidateGroup checks a group name: the service refuses at start a group
// no client could ask for.
func ValidateGroup(g string) error {
	if !groupRE.MatchString(g) {
		return fmt.Errorf("group %q does not match ^[a-zA-Z0-9.-]+$", g)
	}
	return nil
}

// Validate checks the client parameters: an id of at most MaxIDBytes
// letters, digits, '.', '_', ':' and '-', and a group as ValidateGroup.
func (p ClientParams) Validate() error {
	if p.ID == "" {
		return fmt.Errorf("empty client id")
	}
	if len(p.ID) > MaxIDBytes {
		return fmt.Errorf("client id longer than %d bytes; send the node id (32 hex digits)", MaxIDBytes)
	}
	for _, r := range p.ID {
		if !validID(r) {
			return fmt.Errorf("client id %q holds %q; want letters, digits, '.', '_', ':' and '-' (at most %d)", p.ID, r, MaxIDBytes)
		}
	}
	if err := ValidateGroup(p.Group); err != nil {
		return fmt.Errorf("client %w", err)
	}
	return nil
}
