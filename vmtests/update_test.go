package vmtests

// Issue 6's machine test is the update-rollback scenario of TestScenarios
// (make vmtest runs it last). Alone, after make compose sysroot qcow2:
//
//	ALTCOS_VMTEST=1 ALTCOS_VMTEST_ARTIFACTS=out go test -v -run 'TestScenarios/update-rollback' ./vmtests/
//
// ALTCOS_VMTEST_REPO names the repository of v1's commit when it is not
// out/repo; the scenario takes the host's port 8080.
