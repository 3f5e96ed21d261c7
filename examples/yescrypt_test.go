package examples

import (
	"testing"

	"github.com/altcos/altcos-tools/installer/password"
)

func verifyYescrypt(t *testing.T, pw, hash string) {
	t.Helper()
	if !password.Verify(pw, hash) {
		t.Errorf("password.Verify(%q, hash of the example) = false, want true", pw)
	}
}
