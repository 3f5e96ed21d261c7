package password

import (
	"context"
	"strings"
	"testing"

	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/internal/testkit/tooltest"
)

func TestHashVerify(t *testing.T) {
	h, err := Hash("correct horse")
	if err != nil {
		t.Fatalf("Hash() error %v", err)
	}
	if !strings.HasPrefix(h, "$y$j9T$") || len(h) != len("$y$j9T$")+22+1+43 {
		t.Errorf("Hash() = %q, want $y$j9T$<22 salt>$<43 hash>", h)
	}
	if !Verify("correct horse", h) {
		t.Errorf("Verify(right, %q) = false, want true", h)
	}
	if Verify("wrong", h) {
		t.Errorf("Verify(wrong, %q) = true, want false", h)
	}
	h2, _ := Hash("correct horse")
	if h == h2 {
		t.Errorf("two hashes of one password are equal (%q): salt is not random", h)
	}
	if _, err := Hash(""); err == nil {
		t.Errorf("Hash(\"\") error nil, want an error")
	}
}

func TestVerifyKnown(t *testing.T) {
	// From yescrypt-go's own example, which matches libxcrypt.
	const h = "$y$j9T$e8R9q85ZuzUkArEUurdtS.$esON.7y6H.u3UCPVCpbRFueRpAut2n2cMf1EhpjbuiC"
	if !Verify("pleaseletmein", h) {
		t.Errorf("Verify(pleaseletmein, %q) = false, want true", h)
	}
	for _, bad := range []string{"", "$6$x$y", "$y$", "$y$j9T$!!!$x"} {
		if Verify("pleaseletmein", bad) {
			t.Errorf("Verify(pleaseletmein, %q) = true, want false", bad)
		}
	}
}

func TestLooksValid(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"$y$j9T$abc$def", true},
		{"$6$salt$hash", true},
		{"plain", false},
		{"$y$j9T$abc", false},
		{"$y$j9T$a b$c", false},
		{"$1$md5$x", false},
	} {
		if got := LooksValid(tc.in); got != tc.want {
			t.Errorf("LooksValid(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// TestAgainstMkpasswd checks both directions against libxcrypt via mkpasswd:
// our hash is what mkpasswd recomputes from its salt, and mkpasswd's hash verifies here.
func TestAgainstMkpasswd(t *testing.T) {
	tooltest.Tools(t, "mkpasswd")
	ctx := context.Background()
	const pw = "s3cret pass"
	ours, err := Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	// mkpasswd -S takes the salt only (the setting without the hash).
	salt := ours[len("$y$j9T$"):strings.LastIndex(ours, "$")]
	out, err := run.Output(ctx, nil, run.Cmd{Argv: []string{"mkpasswd", "-m", "yescrypt", "-S", "$y$j9T$" + salt, "-s"}, Stdin: strings.NewReader(pw + "\n")})
	if err != nil {
		// Older mkpasswd wants the bare salt.
		out, err = run.Output(ctx, nil, run.Cmd{Argv: []string{"mkpasswd", "-m", "yescrypt", "-S", salt, "-s"}, Stdin: strings.NewReader(pw + "\n")})
	}
	if err != nil {
		t.Fatalf("mkpasswd with our salt: %v", err)
	}
	if got := strings.TrimSpace(string(out)); got != ours {
		t.Errorf("mkpasswd(same salt) = %q, want %q", got, ours)
	}
	out, err = run.Output(ctx, nil, run.Cmd{Argv: []string{"mkpasswd", "-m", "yescrypt", "-s"}, Stdin: strings.NewReader(pw + "\n")})
	if err != nil {
		t.Fatal(err)
	}
	theirs := strings.TrimSpace(string(out))
	if !Verify(pw, theirs) {
		t.Errorf("Verify(pw, mkpasswd's %q) = false, want true", theirs)
	}
	if Verify(pw+"x", theirs) {
		t.Errorf("Verify(wrong, mkpasswd's %q) = true, want false", theirs)
	}
}
