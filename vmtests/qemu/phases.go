package qemu

import (
	"fmt"
	"strings"
	"time"
)

// Mark is console output that starts a phase of a machine's life.
type Mark struct {
	Text  string // what the console shows as the phase starts
	Phase string // the phase's name
}

// Span is one phase and how long it took.
type Span struct {
	Phase string
	Took  time.Duration
}

// Phases splits the machine's life, from its start to its exit (or now),
// at marks: the first span, named first, runs to the first mark found; each
// found mark starts a span that runs to the next one. Marks are searched in
// their order, each after the previous match, skipping those not shown; with
// cycle the list is searched again while a round finds its first mark (a
// machine that boots several times, each boot starting with that mark). Times come from when the output arrived, so they
// are read after the fact and never wait.
func (m *Machine) Phases(first string, marks []Mark, cycle bool) []Span {
	end := time.Now()
	if m.Exited() {
		end = m.Ended
	}
	var spans []Span
	phase, from, at := first, 0, m.Started
	for round := 0; round == 0 || cycle; round++ {
		for i, mk := range marks {
			t, next, ok := m.Console.When(mk.Text, from)
			if !ok && i == 0 && round > 0 {
				return append(spans, Span{phase, end.Sub(at)})
			}
			if !ok {
				continue
			}
			spans = append(spans, Span{phase, t.Sub(at)})
			phase, from, at = mk.Phase, next, t
		}
	}
	return append(spans, Span{phase, end.Sub(at)})
}

// FormatSpans renders spans on one line: "firmware 3s, kernel 41s".
func FormatSpans(spans []Span) string {
	parts := make([]string, len(spans))
	for i, s := range spans {
		parts[i] = fmt.Sprintf("%s %s", s.Phase, s.Took.Round(time.Second))
	}
	return strings.Join(parts, ", ")
}
