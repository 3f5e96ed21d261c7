package ignition

import (
	"strings"
	"testing"
)

func TestPathAt(t *testing.T) {
	doc := `{"ignition":{"version":"3.3.0"},
"passwd":{"users":[{"name":"a"},{"name":"b","passwordHash":3}]},
"storage":{"files":[{"path":"/x","mode":"420"}]}}`
	for _, tc := range []struct {
		find string // the value to point at: its first occurrence
		want string
	}{
		{`"3.3.0"`, "$.ignition.version"},
		{`"b"`, "$.passwd.users.1.name"},
		{`3}`, "$.passwd.users.1.passwordHash"},
		{`"420"`, "$.storage.files.0.mode"},
		{`{"name":"a"}`, "$.passwd.users.0"},
	} {
		i := strings.Index(doc, tc.find)
		line := strings.Count(doc[:i], "\n") + 1
		col := i - strings.LastIndex(doc[:i], "\n")
		if got := pathAt([]byte(doc), line, col); got != tc.want {
			t.Errorf("pathAt(%s at %d:%d) = %q, want %q", tc.find, line, col, got, tc.want)
		}
	}
	if got := pathAt([]byte("{"), 5, 1); got != "" {
		t.Errorf("pathAt(past the end) = %q, want \"\"", got)
	}
}

func TestTypeErrorHasPath(t *testing.T) {
	_, err := Check("c.ign", []byte(`{"ignition":{"version":"3.3.0"},"passwd":{"users":[{"name":"a","passwordHash":3}]}}`), "")
	if err == nil || !strings.Contains(err.Error(), "$.passwd.users.0.passwordHash") {
		t.Errorf("Check(type error) = %v, want the JSON path $.passwd.users.0.passwordHash", err)
	}
}

// FuzzPathAt: pathAt never panics, whatever the document and position.
func FuzzPathAt(f *testing.F) {
	f.Add(`{"a":[1,{"b":2}]}`, 1, 12)
	f.Add(`[[[]]]`, 1, 3)
	f.Add("{\n\"x\":\n3}", 3, 1)
	f.Fuzz(func(t *testing.T, doc string, line, col int) {
		if p := pathAt([]byte(doc), line, col); p != "" && !strings.HasPrefix(p, "$") {
			t.Fatalf("pathAt(%q, %d, %d) = %q, want a path from $", doc, line, col, p)
		}
	})
}
