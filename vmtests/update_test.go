package vmtests

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestUpdateRollback is issue 6's machine test (tier 2, ALTCOS_VMTEST=1):
// the QCOW2 of v1 boots, upgrades to a v2 served by the host on
// 127.0.0.1:8080 (the guest's 10.0.2.2:8080), reboots into v2 with v1 as the
// rollback entry of the boot menu, and `altcos-update rollback` boots v1
// again. ALTCOS_VMTEST_QCOW2 and ALTCOS_VMTEST_MANIFEST name v1 (make qcow2,
// make sysroot); ALTCOS_VMTEST_REPO the repository holding its commit
// (default out/repo). It is not part of TestScenarios: it takes the host's
// port 8080, so it runs alone:
//
//	ALTCOS_VMTEST=1 ALTCOS_VMTEST_QCOW2=out/altcos-sisyphus-qemu.x86_64.qcow2 \
//	  ALTCOS_VMTEST_MANIFEST=out/sysroot/deploy.json go test -v -run TestUpdateRollback ./vmtests/
func TestUpdateRollback(t *testing.T) {
	out := gate(t)
	ctx := testContext(t)
	accel := os.Getenv("ALTCOS_VMTEST_ACCEL")
	if accel == "" {
		accel = "tcg" // nested KVM hangs on the CI machine; probing costs a boot
	}
	repo := os.Getenv("ALTCOS_VMTEST_REPO")
	if repo == "" {
		repo = filepath.Join(repoRoot(t), "out", "repo")
	}
	art := ArtifactsFromEnv()
	if art.QCOW2 == "" {
		art.QCOW2 = filepath.Join(repoRoot(t), "out", "altcos-sisyphus-qemu.x86_64.qcow2")
	}
	if art.Manifest == "" {
		art.Manifest = filepath.Join(repoRoot(t), "out", "sysroot", "deploy.json")
	}
	for _, p := range []string{art.QCOW2, art.Manifest, repo} {
		if _, err := os.Stat(p); err != nil {
			err := missingf("%v (make compose sysroot qcow2)", err)
			if os.Getenv("ALTCOS_REQUIRE_TOOLS") == "1" {
				t.Fatal(err)
			}
			t.Skip(err)
		}
	}
	env := &Env{Log: testLogger(t), Out: out, Accel: accel, Art: art, Progress: tWriter{t}}
	t0 := time.Now()
	err := UpdateRollback(ctx, env, repo)
	var skip *SkipError
	switch {
	case errors.As(err, &skip) && !(skip.Missing && os.Getenv("ALTCOS_REQUIRE_TOOLS") == "1"):
		t.Skip(skip.Reason)
	case err != nil:
		t.Fatalf("UpdateRollback (%s): %v", time.Since(t0).Round(time.Second), err)
	}
	t.Logf("update-rollback: pass in %s", time.Since(t0).Round(time.Second))
}
