package installer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStepFailureClasses: the class of a step's failure (altcos-installer's
// exit code) is a column of the step table: the steps that write fail as
// disk failures, opening the deploy archive as a fetch failure, the others
// as internal errors unless their error says more.
func TestStepFailureClasses(t *testing.T) {
	for _, st := range steps {
		want := FailInternal
		switch {
		case strings.HasSuffix(st.name, " hooks"):
			want = FailHook
		case st.writes:
			want = FailDisk
		case st.name == "open deploy archive":
			want = FailFetch
		}
		if st.fails != want {
			t.Errorf("step %q (writes %v) fails as %d, want %d", st.name, st.writes, st.fails, want)
		}
	}
}

// TestRunStepErrorClass: Run's StepError carries the class of the step that
// failed.
func TestRunStepErrorClass(t *testing.T) {
	img := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, 8<<30); err != nil {
		t.Fatal(err)
	}
	p := &Plan{Device: img, ImageMode: true, ImageFile: filepath.Join(t.TempDir(), "none.tar.zst"), Yes: true, MinDiskBytes: 8 << 30}
	err := Run(context.Background(), p, Env{SysRoot: fakePC})
	var se *StepError
	if !errors.As(err, &se) || se.Step != "open deploy archive" || se.Fail != FailFetch {
		t.Fatalf("Run(missing deploy archive) = %#v, want an open-deploy-archive StepError of class FailFetch", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = Run(ctx, p, Env{SysRoot: fakePC})
	if !errors.As(err, &se) || se.Step != steps[0].name || se.Fail != steps[0].fails || !errors.Is(err, context.Canceled) {
		t.Errorf("Run(cancelled) = %v, want the first step's StepError wrapping context.Canceled", err)
	}
}
