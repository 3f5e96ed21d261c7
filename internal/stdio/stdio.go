// Package stdio carries a command's standard streams so that every CLI of the
// project runs in-process in tests: main passes os.Stdin/Stdout/Stderr.
package stdio

import "io"

// Stdio is a command's standard input, output and error.
type Stdio struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}
