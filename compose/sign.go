package compose

// Signed commits. With Options.GPGKey the OS tree carries the public key
// (altcos.KeyringPath), its remote altcos verifies signatures
// (gpg-verify=true, gpgkeypath=altcos.KeyringPath), and each commit is signed
// with `ostree gpg-sign` before the summary is updated. The key is checked
// before the tree is copied, so a wrong key ID fails in a second.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/internal/gpg"
)

func (s *state) signer() gpg.Signer {
	return gpg.Signer{Key: s.opts.GPGKey, Homedir: s.opts.GPGHomedir, Log: s.log}
}

// checkSigningKey refuses a signing key whose secret part is not at hand.
func checkSigningKey(ctx context.Context, s *state) error {
	if s.opts.GPGKey == "" {
		return nil
	}
	return s.signer().Check(ctx)
}

// writeKeyring puts the public signing key into the tree, where the remote
// altcos's gpgkeypath points.
func writeKeyring(ctx context.Context, s *state) error {
	if s.opts.GPGKey == "" {
		return nil
	}
	p := filepath.Join(s.root, altcos.KeyringPath)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return s.signer().WriteKeyring(ctx, p)
}

// signCommit signs the new commit; on failure the ref goes back to its
// parent (or is removed after a first commit), so no unsigned commit is
// left as the stream's head.
func signCommit(ctx context.Context, s *state, commit string) error {
	if s.opts.GPGKey == "" {
		return nil
	}
	err := s.repo.GPGSign(ctx, commit, s.opts.GPGKey, s.opts.GPGHomedir)
	if err == nil {
		s.log.Info("signed", "commit", commit, "key", s.opts.GPGKey)
		return nil
	}
	err = fmt.Errorf("sign commit %s with key %s: %w; check the key and gpg-agent (gpg --list-secret-keys)", commit, s.opts.GPGKey, err)
	var rerr error
	if s.res.Parent != "" {
		rerr = s.repo.SetRef(ctx, s.res.Ref, s.res.Parent)
	} else {
		rerr = s.repo.DeleteRef(ctx, s.res.Ref)
	}
	if rerr != nil {
		return fmt.Errorf("%w (and taking the unsigned commit off %s failed: %v)", err, s.res.Ref, rerr)
	}
	return err
}
