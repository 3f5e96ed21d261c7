package installercli

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
	// The steps' classes as the step table gives them (installer's TestStepFailureClasses).
	class := map[string]installer.Failure{"open deploy archive": installer.FailFetch, "partition": installer.FailDisk, "make filesystems": installer.FailDisk,
		"deploy": installer.FailDisk, "install bootloader": installer.FailDisk, "first boot": installer.FailDisk, "finish": installer.FailDisk}
	step := func(name string, err error) error {
		return &installer.StepError{Step: name, Fail: class[name], Err: err}
	}
	boom := errors.New("boom")
	for _, tc := range []struct {
		err   error
		code  int
		class string
	}{
		{nil, exitOK, ""},
		{usagef("bad flag"), exitUsage, "usage"},
		{&planconfig.Error{Msg: "x"}, exitUsage, "usage"},
		{step("check target", &installer.TargetError{Device: "/dev/sda", Reason: "mounted"}), exitUsage, "usage"},
		{step("fetch ignition", &ignition.InvalidError{Name: "c.ign", Reason: "bad"}), exitUsage, "usage"},
		{step("fetch ignition", &ignition.FetchError{Source: "https://h/c", Err: boom}), exitFetch, "fetch"},
		{step("confirm", installer.ErrAborted), exitUsage, "usage"},
		{step("confirm", installer.ErrNeedConfirm), exitUsage, "usage"},
		{prompt.ErrMismatch, exitUsage, "usage"},
		{fmt.Errorf("ask: %w", prompt.ErrNoInput), exitUsage, "usage"},
		{step("open deploy archive", boom), exitFetch, "fetch"},
		{step("partition", boom), exitDisk, "disk"},
		{step("make filesystems", boom), exitDisk, "disk"},
		{step("deploy", boom), exitDisk, "disk"},
		{step("install bootloader", boom), exitDisk, "disk"},
		{step("first boot", boom), exitDisk, "disk"},
		{step("finish", boom), exitDisk, "disk"},
		{step("check target", context.Canceled), exitInternal, "internal"},
		{boom, exitInternal, "internal"},
		// The class is the step table's, not the name's: renaming a step changes no exit code.
		{&installer.StepError{Step: "renamed deploy", Fail: installer.FailDisk, Err: boom}, exitDisk, "disk"},
		{&installer.StepError{Step: "renamed archive", Fail: installer.FailFetch, Err: boom}, exitFetch, "fetch"},
		{&installer.StepError{Step: "deploy", Fail: installer.FailInternal, Err: boom}, exitInternal, "internal"},
	} {
		code, class := classify(tc.err)
		if code != tc.code || class != tc.class {
			t.Errorf("classify(%v) = %d %s, want %d %s", tc.err, code, class, tc.code, tc.class)
		}
	}
}
