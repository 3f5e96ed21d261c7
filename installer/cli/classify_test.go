package cli

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/altcos/altcos-tools/installer"
	"github.com/altcos/altcos-tools/installer/ignition"
	"github.com/altcos/altcos-tools/installer/planconfig"
	"github.com/altcos/altcos-tools/installer/prompt"
)

func TestClassify(t *testing.T) {
	step := func(name string, err error) error { return &installer.StepError{Step: name, Err: err} }
	boom := errors.New("boom")
	for _, tc := range []struct {
		err   error
		code  int
		class string
	}{
		{nil, ExitOK, ""},
		{usagef("bad flag"), ExitUsage, "usage"},
		{&planconfig.Error{Msg: "x"}, ExitUsage, "usage"},
		{step("check target", &installer.TargetError{Device: "/dev/sda", Reason: "mounted"}), ExitUsage, "usage"},
		{step("fetch ignition", &ignition.InvalidError{Name: "c.ign", Reason: "bad"}), ExitUsage, "usage"},
		{step("fetch ignition", &ignition.FetchError{Source: "https://h/c", Err: boom}), ExitFetch, "fetch"},
		{step("confirm", installer.ErrAborted), ExitUsage, "usage"},
		{step("confirm", installer.ErrNeedConfirm), ExitUsage, "usage"},
		{prompt.ErrMismatch, ExitUsage, "usage"},
		{fmt.Errorf("ask: %w", prompt.ErrNoInput), ExitUsage, "usage"},
		{step("open deploy archive", boom), ExitFetch, "fetch"},
		{step("partition", boom), ExitDisk, "disk"},
		{step("make filesystems", boom), ExitDisk, "disk"},
		{step("deploy", boom), ExitDisk, "disk"},
		{step("install bootloader", boom), ExitDisk, "disk"},
		{step("first boot", boom), ExitDisk, "disk"},
		{step("finish", boom), ExitDisk, "disk"},
		{step("check target", context.Canceled), ExitInternal, "internal"},
		{boom, ExitInternal, "internal"},
	} {
		code, class := classify(tc.err)
		if code != tc.code || class != tc.class {
			t.Errorf("classify(%v) = %d %s, want %d %s", tc.err, code, class, tc.code, tc.class)
		}
	}
}
