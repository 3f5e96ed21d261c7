package kargs

import (
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []Arg
	}{
		{"", nil},
		{"   \n", nil},
		{"quiet", []Arg{{Key: "quiet"}}},
		{"root=UUID=abc ro", []Arg{{Key: "root", Value: "UUID=abc", HasValue: true}, {Key: "ro"}}},
		{"a= b", []Arg{{Key: "a", HasValue: true}, {Key: "b"}}},
		{`x="a b" y`, []Arg{{Key: "x", Value: "a b", HasValue: true}, {Key: "y"}}},
		{`"x=a b"`, []Arg{{Key: "x", Value: "a b", HasValue: true}}},
		{"console=tty0 console=ttyS0,115200n8", []Arg{{Key: "console", Value: "tty0", HasValue: true}, {Key: "console", Value: "ttyS0,115200n8", HasValue: true}}},
		{"a -- init=b", []Arg{{Key: "a"}}},
		{"a\tb\n", []Arg{{Key: "a"}, {Key: "b"}}},
		{`a "--" b`, []Arg{{Key: "a"}, {Key: "--"}, {Key: "b"}}},
	} {
		got, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q) error %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Parse(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestParseBad(t *testing.T) {
	for _, in := range []string{`a="b`, `"`, `x y="z w`} {
		_, err := Parse(in)
		if err == nil || !strings.Contains(err.Error(), "unterminated") {
			t.Errorf("Parse(%q) error %v, want unterminated quote", in, err)
		}
	}
}

// FuzzParse: Parse never panics, and what it accepts formats back to a command
// line that parses to the same arguments (when no argument holds a quote,
// which the kernel's syntax cannot express).
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "quiet", `a="b c" d=`, "altcos.inst.install_dev=/dev/vda coreos.inst.ignition_url=http://x/y", "a -- b", `"`, "x==y", "\"a\"=\"b\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args, err := Parse(s)
		if err != nil {
			return
		}
		for _, a := range args {
			if strings.Contains(a.Key+a.Value, `"`) || a.Key == "--" || a.Key == "" || strings.HasPrefix(a.Key, "=") {
				return
			}
		}
		again, err := Parse(Format(args))
		if err != nil {
			t.Fatalf("Parse(Format(%+v)) error %v", args, err)
		}
		if len(again) != len(args) || (len(args) > 0 && !reflect.DeepEqual(again, args)) {
			t.Fatalf("Parse(Format(Parse(%q))) = %+v, want %+v", s, again, args)
		}
	})
}
