package ostree

import (
	"reflect"
	"testing"
)

func TestGPGSignArgs(t *testing.T) {
	got := gpgSignArgs("/r", "abc", "KEY", "/h")
	want := []string{"ostree", "gpg-sign", "--repo=/r", "--gpg-homedir=/h", "abc", "KEY"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("gpgSignArgs = %q, want %q", got, want)
	}
}
