package agent

import (
	"errors"
	"fmt"
	"testing"

	"github.com/altcos/altcos-tools/internal/run"
)

func TestSignatureProblem(t *testing.T) {
	for _, c := range []struct {
		stderr, want string
		ok           bool
	}{
		{"error: Commit x: GPG verification enabled, but no signatures found (use gpg-verify=false in remote config to disable)", "has no signature", true},
		{"error: Commit x: Signature made Tue using EdDSA key ID 05DB\nCan't check signature: public key not found", "is signed by a key the system does not trust", true},
		{"error: Commit x: Signature made Thu using [unknown name] key ID 4\nBAD signature from", "has a signature that does not verify", true},
		{"error: Server returned HTTP 404", "", false},
	} {
		err := fmt.Errorf("pull: %w", &run.Error{Stderr: c.stderr, Err: errors.New("exit status 1")})
		if got, ok := signatureProblem(err); got != c.want || ok != c.ok {
			t.Errorf("signatureProblem(%q) = %q, %v, want %q, %v", c.stderr, got, ok, c.want, c.ok)
		}
	}
}
