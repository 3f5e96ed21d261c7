package installer

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
