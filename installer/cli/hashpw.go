package cli

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/altcos/altcos-tools/installer/password"
	"github.com/altcos/altcos-tools/installer/prompt"
	"github.com/altcos/altcos-tools/internal/stdio"
	"golang.org/x/term"
)

func readAll(r io.Reader) ([]byte, error) { return io.ReadAll(io.LimitReader(r, 64<<20)) }

// hashPassword: altcos-installer hash-password. At a terminal it asks twice
// without echo; otherwise it reads one line from stdin, like mkpasswd -s.
func hashPassword(args []string, sio stdio.Stdio) int {
	fs := flag.NewFlagSet("hash-password", flag.ContinueOnError)
	fs.SetOutput(sio.Err)
	fs.Usage = func() {
		fmt.Fprint(sio.Err, "Usage: altcos-installer hash-password\n\nPrints the yescrypt hash of a password (what mkpasswd --method=yescrypt prints), for --root-password-hash.\nAt a terminal it asks twice without echo; otherwise it reads one line from stdin.\n")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
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
			fmt.Fprintf(sio.Err, "altcos-installer hash-password: %v\n", err)
			return ExitUsage
		}
		b, err := read("Password again")
		if err != nil || a != b {
			fmt.Fprintf(sio.Err, "altcos-installer hash-password: %v\n", prompt.ErrMismatch)
			return ExitUsage
		}
		pw = a
	} else {
		line, err := bufio.NewReader(sio.In).ReadString('\n')
		if err != nil && (err != io.EOF || line == "") {
			fmt.Fprintln(sio.Err, "altcos-installer hash-password: no password on stdin; pipe one line or run at a terminal")
			return ExitUsage
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	h, err := password.Hash(pw)
	if err != nil {
		fmt.Fprintf(sio.Err, "altcos-installer hash-password: %v\n", err)
		return ExitUsage
	}
	fmt.Fprintln(sio.Out, h)
	return ExitOK
}
