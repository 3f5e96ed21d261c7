package ostree

import (
	"reflect"
	"strings"
	"testing"
)

func TestOriginArgv(t *testing.T) {
	if got := strings.Join(pullArgs("/s/ostree/repo", "altcos", sum2), " "); got != "ostree pull --repo=/s/ostree/repo altcos "+sum2 {
		t.Errorf("pullArgs() = %q", got)
	}
	if got, want := originText("altcos:altcos/x86_64/p10", sum2), "[origin]\nrefspec=altcos:altcos/x86_64/p10\noverride-commit="+sum2+"\n"; got != want {
		t.Errorf("originText() = %q, want %q", got, want)
	}
	o := DeployOptions{OSName: "alt-containeros", Refspec: sum1, OriginFile: "/tmp/o", Stage: true, Retain: true,
		Kargs: []string{"quiet"}, KargsAppend: []string{"console=ttyS0"}, KargsDelete: []string{"rhgb"}}
	want := "ostree admin deploy --sysroot=/s --os=alt-containeros --karg=quiet --karg-append=console=ttyS0 --karg-delete=rhgb --origin-file=/tmp/o --retain --stage " + sum1
	if got := strings.Join(deployArgs("/s", o), " "); got != want {
		t.Errorf("deployArgs() = %q, want %q", got, want)
	}
	if got := strings.Join(cleanupArgs("/s"), " "); got != "ostree admin cleanup --sysroot=/s" {
		t.Errorf("cleanupArgs() = %q", got)
	}
}

// TestKargEdits: rpm-ostree's --append/--delete/--replace become ostree
// admin deploy's --karg-append/--karg-delete/--karg; KEY=OLD=NEW becomes a
// delete and an append.
func TestKargEdits(t *testing.T) {
	var o DeployOptions
	k := KargEdits{Append: []string{"console=ttyS0,115200", "nomodeset"}, Delete: []string{"quiet"},
		Replace: []string{"loglevel=7", "console=tty0=ttyS1"}}
	if err := k.Apply(&o); err != nil {
		t.Fatal(err)
	}
	if want := []string{"loglevel=7"}; !reflect.DeepEqual(o.Kargs, want) {
		t.Errorf("Kargs = %q, want %q", o.Kargs, want)
	}
	if want := []string{"console=ttyS0,115200", "nomodeset", "console=ttyS1"}; !reflect.DeepEqual(o.KargsAppend, want) {
		t.Errorf("KargsAppend = %q, want %q", o.KargsAppend, want)
	}
	if want := []string{"quiet", "console=tty0"}; !reflect.DeepEqual(o.KargsDelete, want) {
		t.Errorf("KargsDelete = %q, want %q", o.KargsDelete, want)
	}
	for _, bad := range []KargEdits{{Append: []string{""}}, {Delete: []string{"=x"}}, {Replace: []string{"loglevel"}}, {Replace: []string{"=1"}}} {
		if err := bad.Apply(&DeployOptions{}); err == nil {
			t.Errorf("%+v.Apply() = nil error, want an error", bad)
		}
	}
	if !(KargEdits{}).Empty() || k.Empty() {
		t.Error("Empty() is wrong")
	}
}
