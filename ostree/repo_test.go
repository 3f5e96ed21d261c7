package ostree

import (
	"reflect"
	"testing"
)

func TestCommitArgs(t *testing.T) {
	got := commitArgs("/r", CommitOptions{
		Branch: "altcos/x86_64/sisyphus", Tree: "/t", Subject: "s.20261125.0.0",
		Timestamp: "@1764028800", Bootable: true,
		Metadata: map[string]string{"version": "s.20261125.0.0", "altcos.stream": "s"},
	})
	want := []string{"ostree", "commit", "--repo=/r", "--branch=altcos/x86_64/sisyphus",
		"--subject=s.20261125.0.0", "--timestamp=@1764028800", "--bootable",
		"--add-metadata-string=altcos.stream=s", "--add-metadata-string=version=s.20261125.0.0",
		"--tree=dir=/t"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("commitArgs() = %q, want %q", got, want)
	}
	orphan := commitArgs("/r", CommitOptions{Orphan: true, Tree: "/t", Parent: "none"})
	want = []string{"ostree", "commit", "--repo=/r", "--orphan", "--parent=none", "--tree=dir=/t"}
	if !reflect.DeepEqual(orphan, want) {
		t.Errorf("commitArgs(orphan) = %q, want %q", orphan, want)
	}
}

func TestSmallArgs(t *testing.T) {
	tests := []struct {
		got, want []string
	}{
		{initArgs("/r", ModeArchive), []string{"ostree", "init", "--repo=/r", "--mode=archive"}},
		{metadataArgs("/r", "altcos/x86_64/sisyphus", "version"),
			[]string{"ostree", "show", "--repo=/r", "--print-metadata-key=version", "altcos/x86_64/sisyphus"}},
		{lsArgs("/r", "abc", true, "/usr/lib/modules"), []string{"ostree", "ls", "--repo=/r", "-R", "abc", "/usr/lib/modules"}},
		{lsArgs("/r", "abc", false), []string{"ostree", "ls", "--repo=/r", "abc"}},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("argv = %q, want %q", tt.got, tt.want)
		}
	}
}

func TestParseGVariantString(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{`'sisyphus.20261125.0.0'`, "sisyphus.20261125.0.0", false},
		{`"it's"`, "it's", false},
		{`'{"a":"1"}'`, `{"a":"1"}`, false},
		{`'a\'b\\c\nd'`, "a'b\\c\nd", false},
		{`'\u00e9'`, "é", false},
		{`''`, "", false},
		{`uint64 3`, "", true},
		{`'unterminated`, "", true},
		{`'bad\u00'`, "", true},
	}
	for _, tt := range tests {
		got, err := parseGVariantString(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseGVariantString(%s) = %q, %v, want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseLs(t *testing.T) {
	out := "d00755 0 0      0 /usr/lib/modules/6.1\n-00644 0 0 14149568 /usr/lib/modules/6.1/vmlinuz\nl00777 0 0      0 /bin -> usr/bin\n"
	got := parseLs(out)
	want := []string{"/usr/lib/modules/6.1", "/usr/lib/modules/6.1/vmlinuz", "/bin"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseLs() = %q, want %q", got, want)
	}
}

func TestIsChecksum(t *testing.T) {
	for s, want := range map[string]bool{
		"05618533df842f0b6b0cd5b7a12c593172db57a40967a381cf4157d4cd4324d7": true,
		"05618533df842f0b6b0cd5b7a12c593172db57a40967a381cf4157d4cd4324d":  false,
		"X5618533df842f0b6b0cd5b7a12c593172db57a40967a381cf4157d4cd4324d7": false,
	} {
		if got := IsChecksum(s); got != want {
			t.Errorf("IsChecksum(%q) = %v, want %v", s, got, want)
		}
	}
}
