package agent

import (
	"errors"
	"strings"

	"github.com/altcos/altcos-tools/internal/run"
)

// signatureProblem tells from a failed pull whether ostree refused the
// commit's signature, and says why in a few words ("has no signature",
// "is signed by a key the system does not trust", "has a bad signature").
func signatureProblem(err error) (string, bool) {
	var re *run.Error
	if !errors.As(err, &re) {
		return "", false
	}
	switch e := re.Stderr; {
	case strings.Contains(e, "no signatures found"):
		return "has no signature", true
	case strings.Contains(e, "public key not found"), strings.Contains(e, "none are in trusted keyring"):
		return "is signed by a key the system does not trust", true
	case strings.Contains(e, "BAD signature"), strings.Contains(e, "signature") && strings.Contains(e, "GPG"):
		return "has a signature that does not verify", true
	}
	return "", false
}
