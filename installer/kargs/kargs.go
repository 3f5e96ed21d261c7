// Package kargs parses a kernel command line (/proc/cmdline) the way the Linux
// kernel splits it: arguments separated by blanks, double quotes group blanks
// into one argument and are removed, the first "=" splits key from value, and
// "--" ends the kernel's arguments (what follows belongs to init).
package kargs

import (
	"fmt"
	"strings"
)

// Arg is one kernel argument.
type Arg struct {
	Key      string
	Value    string
	HasValue bool // key=value (even with an empty value) rather than a bare flag
}

// String renders a as it would appear on a command line, quoting a value with blanks.
func (a Arg) String() string {
	s := a.Key
	if a.HasValue {
		s += "=" + a.Value
	}
	if strings.ContainsAny(s, " \t\n\r") {
		// The kernel drops the quotes wherever they are; around the whole
		// argument is what boot loaders write.
		s = `"` + s + `"`
	}
	return s
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// Parse splits cmdline into arguments. A quote left open is an error, because
// an unattended install must not guess what a truncated argument meant.
func Parse(cmdline string) ([]Arg, error) {
	var args []Arg
	i := 0
	for {
		for i < len(cmdline) && isSpace(cmdline[i]) {
			i++
		}
		if i >= len(cmdline) {
			return args, nil
		}
		start := i
		var word strings.Builder
		quoted := false
		sawQuote := false
		eq := -1 // the kernel splits at the first '=', quoted or not
		for i < len(cmdline) && (quoted || !isSpace(cmdline[i])) {
			c := cmdline[i]
			i++
			if c == '"' {
				quoted = !quoted
				sawQuote = true
				continue
			}
			if c == '=' && eq < 0 {
				eq = word.Len()
			}
			word.WriteByte(c)
		}
		if quoted {
			return nil, fmt.Errorf("kernel argument %q at offset %d: unterminated double quote; close the quote", truncate(strings.TrimSpace(cmdline[start:]), 40), start)
		}
		w := word.String()
		if w == "--" && !sawQuote {
			return args, nil
		}
		if eq < 0 {
			args = append(args, Arg{Key: w})
		} else {
			args = append(args, Arg{Key: w[:eq], Value: w[eq+1:], HasValue: true})
		}
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// Format joins args into a command line that Parse reads back as args.
func Format(args []Arg) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = a.String()
	}
	return strings.Join(parts, " ")
}
