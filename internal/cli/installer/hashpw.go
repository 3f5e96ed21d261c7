package installercli

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/altcos/altcos-tools/installer/password"
	"github.com/altcos/altcos-tools/installer/prompt"
	"github.com/altcos/altcos-tools/internal/cli"
	"github.com/altcos/altcos-tools/internal/stdio"
	"golang.org/x/term"
)

// hashPassword is `altcos-installer hash-password`. At a terminal it asks
// twice without echo; otherwise it reads one line from stdin, like mkpasswd -s.
func hashPassword(args []string, sio stdio.Stdio) error {
	fs := flag.NewFlagSet("hash-password", flag.ContinueOnError)
	fs.SetOutput(sio.Err)
	fs.Usage = func() {
		fmt.Fprint(sio.Err, "Usage: altcos-installer hash-password\n\nPrints the yescrypt hash of a password (what mkpasswd --method=yescrypt prints), for --root-password-hash.\nAt a terminal it asks twice without echo; otherwise it reads one line from stdin.\n")
	}
	if help, err := cli.ParseFlags(fs, args); help || err != nil {
		return err
	}
	var pw string
	if f, ok := sio.In.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		read := func(label string) (string, error) {
			fmt.Fprintf(sio.Err, "%s: ", label)
			b, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(sio.Err)
			return string(b), err
		}
		a, err := read("Password")
		if err != nil {
			return usagef("%v", err)
		}
		b, err := read("Password again")
		if err != nil || a != b {
			return prompt.ErrMismatch
		}
		pw = a
	} else {
		line, err := bufio.NewReader(sio.In).ReadString('\n')
		if err != nil && (err != io.EOF || line == "") {
			return usagef("no password on stdin; pipe one line or run at a terminal")
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	h, err := password.Hash(pw)
	if err != nil {
		return usagef("%v", err)
	}
	fmt.Fprintln(sio.Out, h)
	return nil
}
