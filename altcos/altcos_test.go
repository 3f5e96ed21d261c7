package altcos

import "testing"

func TestRef(t *testing.T) {
	if got, want := Ref("x86_64", "p10"), "altcos/x86_64/p10"; got != want {
		t.Errorf("Ref = %q, want %q", got, want)
	}
	if got, want := Refspec("aarch64", "sisyphus"), "altcos:altcos/aarch64/sisyphus"; got != want {
		t.Errorf("Refspec = %q, want %q", got, want)
	}
}

func TestValidateStream(t *testing.T) {
	for _, s := range []string{"sisyphus", "p10", "my_stream-2"} {
		if err := ValidateStream(s); err != nil {
			t.Errorf("ValidateStream(%q) = %v, want nil", s, err)
		}
	}
	for _, s := range []string{"", "Sisyphus", "a/b", "p10.1", "-x", "a b"} {
		if err := ValidateStream(s); err == nil {
			t.Errorf("ValidateStream(%q) = nil, want an error", s)
		}
	}
}

func TestValidateArch(t *testing.T) {
	for _, a := range []string{"x86_64", "aarch64", "ppc64le"} {
		if err := ValidateArch(a); err != nil {
			t.Errorf("ValidateArch(%q) = %v", a, err)
		}
	}
	for _, a := range []string{"", "x86/64", "X86", "x86-64", "a.b"} {
		if err := ValidateArch(a); err == nil {
			t.Errorf("ValidateArch(%q) = nil, want an error", a)
		}
	}
}

func TestParseVersion(t *testing.T) {
	v, err := ParseVersion("sisyphus.20211006.1.12")
	if err != nil {
		t.Fatal(err)
	}
	if want := (Version{"sisyphus", "20211006", 1, 12}); v != want {
		t.Errorf("ParseVersion = %+v, want %+v", v, want)
	}
	if v.String() != "sisyphus.20211006.1.12" {
		t.Errorf("String() = %q", v.String())
	}
	for _, s := range []string{"sisyphus.2021106.1.0", "sisyphus.20211306.1.0", "sisyphus.20211006.1", "p10.20211006.x.0", "p10.20211006.99999999999999999999.0"} {
		if _, err := ParseVersion(s); err == nil {
			t.Errorf("ParseVersion(%q) = nil error, want one", s)
		}
	}
}
