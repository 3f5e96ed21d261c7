package ostree

// Signed commits: `ostree gpg-sign` after `ostree commit` (the image build).
// A remote with gpg-verify=true and gpgkeypath=KEYRING makes ostree itself
// refuse an unsigned or foreign commit before anything is deployed
// (updates/agent explains that refusal).

import (
	"context"

	"github.com/altcos/altcos-tools/internal/run"
)

// gpgSignArgs builds `ostree gpg-sign --repo=R [--gpg-homedir=H] COMMIT KEY`.
func gpgSignArgs(repo, commit, key, homedir string) []string {
	var args []string
	if homedir != "" {
		args = append(args, "--gpg-homedir="+homedir)
	}
	return RepoArgs(repo, "gpg-sign", append(args, commit, key)...)
}

// GPGSign adds key's signature to commit.
func (r *Repo) GPGSign(ctx context.Context, commit, key, homedir string) error {
	return run.Run(ctx, r.Log, run.Cmd{Argv: gpgSignArgs(r.Path, commit, key, homedir)})
}
