package buildcli

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/altcos/altcos-tools/internal/cli"
	"github.com/altcos/altcos-tools/internal/gpg"
	"github.com/altcos/altcos-tools/internal/stdio"
)

// Environment defaults of --gpg-sign and --gpg-homedir.
const (
	envGPGKey     = "ALTCOS_GPG_KEY"
	envGPGHomedir = "ALTCOS_GPG_HOMEDIR"
)

// gpgFlags adds --gpg-sign and --gpg-homedir, defaulting to the environment.
func gpgFlags(fs *flag.FlagSet) (key, homedir *string) {
	key = fs.String("gpg-sign", os.Getenv(envGPGKey), "sign with this GnuPG key ID or fingerprint (default $"+envGPGKey+")")
	homedir = fs.String("gpg-homedir", os.Getenv(envGPGHomedir), "GnuPG home of the signing key (default $"+envGPGHomedir+", else gpg's own)")
	return key, homedir
}

// runSign is `altcos-build sign`:
//
//	altcos-build sign --gpg-sign KEYID [--gpg-homedir DIR] [--keyring OUT] FILE...
//
// It writes a binary detached OpenPGP signature FILE.sig beside each FILE
// (deploy archive and deploy.json, ISO, QCOW2 and its .xz, PXE files,
// <stream>.json, releases.json), then checks each against the key's public
// keyring. --keyring also writes that keyring (what the OS ships at
// altcos.KeyringPath), for publishing next to the artifacts. The
// passphrase, if the key has one, is gpg-agent's business, never a flag.
func runSign(ctx context.Context, args []string, io stdio.Stdio) error {
	fs := cli.NewFlagSet("sign", "usage: altcos-build sign --gpg-sign KEYID [--gpg-homedir DIR] [--keyring OUT] FILE...", io.Err)
	key, home := gpgFlags(fs)
	keyring := fs.String("keyring", "", "also write the key's public keyring (binary) to this file")
	verbose := fs.Bool("v", false, "log every command run")
	if help, err := cli.ParseFlags(fs, args); help || err != nil {
		return err
	}
	if *key == "" {
		return &stdio.UsageError{Msg: "sign needs --gpg-sign KEYID (or $" + envGPGKey + ")"}
	}
	if fs.NArg() == 0 {
		return &stdio.UsageError{Msg: "sign takes the files to sign; run `altcos-build sign -h`"}
	}
	s := gpg.Signer{Key: *key, Homedir: *home, Log: cli.Logger(io.Err, *verbose)}
	if err := s.Check(ctx); err != nil {
		return err
	}
	ring := *keyring
	if ring == "" {
		tmp, err := os.CreateTemp("", "altcos-keyring-*.gpg")
		if err != nil {
			return err
		}
		tmp.Close()
		defer os.Remove(tmp.Name())
		ring = tmp.Name()
	}
	if err := s.WriteKeyring(ctx, ring); err != nil {
		return err
	}
	for _, f := range fs.Args() {
		sig, err := s.SignFile(ctx, f)
		if err != nil {
			return err
		}
		if err := gpg.Verify(ctx, s.Log, ring, sig, f); err != nil {
			return fmt.Errorf("check the new signature %s: %w", sig, err)
		}
		fmt.Fprintf(io.Out, "%s\n", sig)
	}
	if *keyring != "" {
		fmt.Fprintf(io.Out, "%s: public keyring of %s\n", *keyring, *key)
	}
	return nil
}
