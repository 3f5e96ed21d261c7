package initramfs

import (
	"os"
	"testing"

	"github.com/altcos/altcos-tools/altcos"
)

func TestAddExamples(t *testing.T) {
	files := FileMap{}
	if err := addExamples(files, ".."); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"altcos-password.ign", "altcos-password.bu", "testContainers.ign", "testContainers.bu"} {
		dst := altcos.ExamplesDir[1:] + "/" + name
		src, ok := files[dst]
		if !ok {
			t.Errorf("addExamples: no %s in the live system (have %v)", dst, files)
			continue
		}
		if _, err := os.Stat(src); err != nil {
			t.Errorf("%s -> %s: %v", dst, src, err)
		}
	}
	if _, ok := files[altcos.PasswordExample[1:]]; !ok {
		t.Errorf("the hints' password example %s is not carried", altcos.PasswordExample)
	}
	if err := addExamples(FileMap{}, t.TempDir()); err == nil {
		t.Error("addExamples of a tree without examples/ = nil, want an error")
	}
}
