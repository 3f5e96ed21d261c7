// Package prompt asks the operator: with promptui on a terminal (term.go, the
// only file that uses it), or as plain lines on any reader and writer (serial
// automation, CI). Both implement installer.Prompter.
package prompt

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/altcos/altcos-tools/installer"
	"github.com/altcos/altcos-tools/installer/password"
)

// ErrNoInput is returned when the input ends before an answer.
var ErrNoInput = errors.New("no answer: the input ended; answer at the console, or pass --yes and the missing settings for an unattended install")

// Lines asks questions as plain lines: a numbered list for a choice, "y" to
// confirm, a line for a password (it cannot hide what the other side sends).
type Lines struct {
	in  *bufio.Reader
	out io.Writer
}

// NewLines returns a plain-line prompter on in and out.
func NewLines(in io.Reader, out io.Writer) *Lines {
	return &Lines{in: bufio.NewReader(in), out: out}
}

var _ installer.Prompter = (*Lines)(nil)

func (l *Lines) line() (string, error) {
	s, err := l.in.ReadString('\n')
	if err != nil && (err != io.EOF || s == "") {
		return "", ErrNoInput
	}
	return strings.TrimRight(s, "\r\n"), nil
}

// Select prints the items numbered from 1 and reads a number.
func (l *Lines) Select(label string, items []string) (int, error) {
	fmt.Fprintln(l.out, label)
	for i, it := range items {
		fmt.Fprintf(l.out, "  %d) %s\n", i+1, it)
	}
	for tries := 0; tries < 3; tries++ {
		fmt.Fprintf(l.out, "Enter a number 1-%d: ", len(items))
		s, err := l.line()
		if err != nil {
			return -1, err
		}
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err == nil && n >= 1 && n <= len(items) {
			return n - 1, nil
		}
		fmt.Fprintf(l.out, "%q is not a number from 1 to %d\n", strings.TrimSpace(s), len(items))
	}
	return -1, fmt.Errorf("no valid choice for %q after 3 tries", label)
}

// Confirm is true only when the answer is y or yes.
func (l *Lines) Confirm(question string) (bool, error) {
	fmt.Fprintf(l.out, "%s [y/N]: ", question)
	s, err := l.line()
	if err != nil {
		return false, err
	}
	return IsYes(s), nil
}

// Password reads one line.
func (l *Lines) Password(label string) (string, error) {
	fmt.Fprintf(l.out, "%s: ", label)
	s, err := l.line()
	fmt.Fprintln(l.out)
	return s, err
}

// Input reads a free-form answer (a path or URL); not part of installer.Prompter.
func (l *Lines) Input(label string) (string, error) {
	fmt.Fprintf(l.out, "%s: ", label)
	s, err := l.line()
	return strings.TrimSpace(s), err
}

// IsYes is the one rule for consent: y or yes, any case; anything else is no.
func IsYes(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	return s == "y" || s == "yes"
}

// Inputter asks for a free-form line; both prompters here implement it.
type Inputter interface {
	Input(label string) (string, error)
}

// ErrMismatch is two different password entries.
var ErrMismatch = errors.New("the two passwords differ; run the installer again and type the same password twice")

// RootPassword asks for the root password twice and returns its yescrypt
// hash, or "" when the operator enters nothing (no root password).
func RootPassword(p installer.Prompter) (string, error) {
	pw, err := p.Password("Root password (empty: no root password)")
	if err != nil || pw == "" {
		return "", err
	}
	again, err := p.Password("Root password again")
	if err != nil {
		return "", err
	}
	if pw != again {
		return "", ErrMismatch
	}
	return password.Hash(pw)
}
