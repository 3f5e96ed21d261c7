package promtext

import (
	"math"
	"strings"
	"testing"
)

func TestWrite(t *testing.T) {
	var b strings.Builder
	err := Write(&b, []Family{
		{Name: "z_total", Help: "a counter", Type: "counter", Samples: []Sample{{Labels: [][2]string{{"kind", `say "hi"\` + "\n"}}, Value: 3}}},
		{Name: "a_gauge", Help: "line\nbreak", Type: "gauge", Samples: []Sample{{Value: 1.5}, {Labels: [][2]string{{"a", "b"}, {"c", "d"}}, Value: math.Inf(1)}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `# HELP a_gauge line\nbreak
# TYPE a_gauge gauge
a_gauge 1.5
a_gauge{a="b",c="d"} +Inf
# HELP z_total a counter
# TYPE z_total counter
z_total{kind="say \"hi\"\\\n"} 3
`
	if b.String() != want {
		t.Errorf("Write() =\n%s\nwant\n%s", b.String(), want)
	}
}
