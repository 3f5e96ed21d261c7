package compose

import (
	"reflect"
	"testing"
)

func TestParseDpkgQuery(t *testing.T) {
	out := "ii \tbash\t5.2.15-2+b2\nrc \told\t1.0\nii \tlibc6:amd64\t2.36-9\n\n"
	got, err := parseDpkgQuery(out)
	want := Packages{"bash": "5.2.15-2+b2", "libc6:amd64": "2.36-9"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("parseDpkgQuery() = %v, %v, want %v", got, err, want)
	}
	if _, err := parseDpkgQuery("garbage line\n"); err == nil {
		t.Errorf("parseDpkgQuery(garbage) = nil error, want an error")
	}
}

func TestPackagesRoundTrip(t *testing.T) {
	m := Packages{"zsh": "5.9", "bash": "5.2", "ignition": "2.14.0+ds1-1+b6"}
	enc := m.Encode()
	if want := `{"bash":"5.2","ignition":"2.14.0+ds1-1+b6","zsh":"5.9"}`; enc != want {
		t.Errorf("Encode() = %s, want %s", enc, want)
	}
	got, err := DecodePackages(enc)
	if err != nil || !reflect.DeepEqual(got, m) {
		t.Errorf("DecodePackages(%s) = %v, %v, want %v", enc, got, err, m)
	}
	if _, err := DecodePackages("not json"); err == nil {
		t.Errorf("DecodePackages(not json) = nil error, want an error")
	}
}

func TestCompare(t *testing.T) {
	a := Packages{"a": "1", "b": "1"}
	tests := []struct {
		cur  Packages
		want Change
	}{
		{Packages{"a": "1", "b": "1"}, Unchanged},
		{Packages{"a": "1", "b": "2"}, VersionsChanged},
		{Packages{"a": "1", "c": "1"}, SetChanged},
		{Packages{"a": "1"}, SetChanged},
		{Packages{"a": "2", "b": "1", "c": "1"}, SetChanged},
	}
	for _, tt := range tests {
		if got := Compare(a, tt.cur); got != tt.want {
			t.Errorf("Compare(%v, %v) = %v, want %v", a, tt.cur, got, tt.want)
		}
	}
}
