package installer

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
)

// hashFile is deployarchive.HashFile with progress: the sha256 (hex) of a
// local deploy archive of size bytes, its bytes reported as they are read
// (a DVD or a slow USB stick takes a while).
func hashFile(path string, size int64, rep Reporter) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	rep.Info(fmt.Sprintf("checking the sha256 of %s (%d MiB)", path, size>>20))
	h := sha256.New()
	pr := &progressReader{r: f, total: size, rep: rep}
	if _, err := io.CopyBuffer(h, pr, make([]byte, 1<<20)); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	rep.Bytes(pr.n, size)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Reporter shows progress on long work. Implementations redraw one line on a
// terminal, print plain lines on a serial console, or emit JSON events.
type Reporter interface {
	// Step announces step n of total.
	Step(n, total int, name string)
	// Bytes reports done of total bytes (total 0: unknown) for the current step.
	Bytes(done, total int64)
	// Info prints a line for the operator.
	Info(msg string)
}

type nopReporter struct{}

func (nopReporter) Step(int, int, string) {}
func (nopReporter) Bytes(int64, int64)    {}
func (nopReporter) Info(string)           {}

// Prompter asks the operator. All uses of the terminal prompt library live in
// one file behind this interface, with a plain-line implementation for
// consoles that are not terminals.
type Prompter interface {
	// Select returns the index of the chosen item.
	Select(label string, items []string) (int, error)
	// Confirm returns true only when the operator typed y.
	Confirm(question string) (bool, error)
	// Password reads a secret without echo.
	Password(label string) (string, error)
}
