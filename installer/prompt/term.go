package prompt

// Every use of github.com/manifoldco/promptui is in this file (see DESIGN.md:
// it draws on serial consoles that report a 0x0 window; replace it here only).

import (
	"errors"
	"io"

	"github.com/altcos/altcos-tools/installer"
	"github.com/manifoldco/promptui"
)

// Terminal asks on a terminal with promptui: arrow-key selection, a
// confirmation that needs y, passwords without echo.
type Terminal struct {
	In  io.ReadCloser
	Out io.WriteCloser
}

var _ installer.Prompter = (*Terminal)(nil)

func mapErr(err error) error {
	if errors.Is(err, promptui.ErrInterrupt) || errors.Is(err, promptui.ErrEOF) {
		return ErrNoInput
	}
	return err
}

// Select shows items as a list to move through with the arrow keys.
func (t *Terminal) Select(label string, items []string) (int, error) {
	s := promptui.Select{Label: label, Items: items, Size: 12, HideHelp: false, Stdin: t.In, Stdout: t.Out}
	i, _, err := s.Run()
	return i, mapErr(err)
}

// Confirm is true only when the operator types y (or yes).
func (t *Terminal) Confirm(question string) (bool, error) {
	p := promptui.Prompt{Label: question + " [y/N]", Stdin: t.In, Stdout: t.Out}
	s, err := p.Run()
	if err != nil {
		return false, mapErr(err)
	}
	return IsYes(s), nil
}

// Password reads without echo (a mask character per key).
func (t *Terminal) Password(label string) (string, error) {
	p := promptui.Prompt{Label: label, Mask: '*', HideEntered: true, Stdin: t.In, Stdout: t.Out}
	s, err := p.Run()
	return s, mapErr(err)
}

// Input reads a free-form line.
func (t *Terminal) Input(label string) (string, error) {
	p := promptui.Prompt{Label: label, Stdin: t.In, Stdout: t.Out}
	s, err := p.Run()
	return s, mapErr(err)
}
