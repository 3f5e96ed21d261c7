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

// Validate checks the client parameters as the protocol defines them.
func (p ClientParams) Validate() error {
	if p.ID == "" {
		return fmt.Errorf("empty client id")
	}
	if len(p.ID) > 256 {
		return fmt.Errorf("client id longer than 256 bytes")
	}
	if !groupRE.MatchString(p.Group) {
		return fmt.Errorf("client group %q does not match ^[a-zA-Z0-9.-]+$", p.Group)
	}
	return nil
}
