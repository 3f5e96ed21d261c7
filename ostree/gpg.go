package ostree

// Signed commits: `ostree gpg-sign` after `ostree commit` (the image build),
// and what a pull's refusal of an unsigned or foreign commit means (the
// update stack). A remote with gpg-verify=true and gpgkeypath=KEYRING makes
// ostree itself refuse such a commit before anything is deployed.

import (
	"context"
	"errors"
	"strings"

	"github.com/altcos/altcos-tools/internal/run"
)

// GPGSignArgs builds `ostree gpg-sign --repo=R [--gpg-homedir=H] COMMIT KEY`.
func GPGSignArgs(repo, commit, key, homedir string) []string {
	var args []string
	if homedir != "" {
		args = append(args, "--gpg-homedir="+homedir)
	}
	return RepoArgs(repo, "gpg-sign", append(args, commit, key)...)
}

// GPGSign adds key's signature to commit.
func (r *Repo) GPGSign(ctx context.Context, commit, key, homedir string) error {
	return run.Run(ctx, r.Log, run.Cmd{Argv: GPGSignArgs(r.Path, commit, key, homedir)})
}

// SignatureProblem tells from a failed pull whether ostree refused the
// commit's signature, and says why in a few words ("has no signature",
// "is signed by a key the system does not trust", "has a bad signature").
func SignatureProblem(err error) (string, bool) {
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
