package ostree

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

const (
	sum1 = "b8df600266f02dcad43bca80a281e0e27f974bb2379ac6965ba81ff7212b4841"
	sum2 = "33b0857e28f2bce85cf0e4469a9afdf3ed9345d923395385b5efb85403d2776e"
	sum0 = "1111111111111111111111111111111111111111111111111111111111111111"
)

func TestParseAdminStatus(t *testing.T) {
	text, err := os.ReadFile("testdata/admin-status-booted.txt")
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseAdminStatus(string(text))
	if err != nil {
		t.Fatalf("parseAdminStatus() error: %v", err)
	}
	ref := "altcos:altcos/x86_64/sisyphus"
	want := []DeploymentEntry{
		{Index: 0, OSName: "alt-containeros", Checksum: sum2, Serial: 0, Version: "sisyphus.20261125.2.0", Refspec: ref, Staged: true},
		{Index: 1, OSName: "alt-containeros", Checksum: sum1, Serial: 1, Version: "sisyphus.20261125.1.0", Refspec: ref, Booted: true},
		{Index: 2, OSName: "alt-containeros", Checksum: sum0, Serial: 0, Version: "sisyphus.20261101.0.0", Refspec: ref, Pinned: true, RollbackMark: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseAdminStatus() = %+v, want %+v", got, want)
	}
}

func TestParseAdminStatusBad(t *testing.T) {
	for _, in := range []string{
		"  alt-containeros\n",
		"  alt-containeros abc.0\n",
		"* alt-containeros " + sum1 + ".x\n",
	} {
		if _, err := parseAdminStatus(in); err == nil {
			t.Errorf("parseAdminStatus(%q) = nil error, want an error", in)
		}
	}
	got, err := parseAdminStatus("No deployments.\n")
	if err != nil || len(got) != 0 {
		t.Errorf("parseAdminStatus(No deployments.) = %v, %v, want none, nil", got, err)
	}
}

func TestUpgradeArgs(t *testing.T) {
	tests := []struct {
		o    UpgradeOpts
		want string
	}{
		{UpgradeOpts{OS: "alt-containeros", Commit: sum2, PullOnly: true},
			"ostree admin upgrade --sysroot=/s --os=alt-containeros --override-commit=" + sum2 + " --pull-only"},
		{UpgradeOpts{OS: "alt-containeros", Commit: sum2, DeployOnly: true, Stage: true},
			"ostree admin upgrade --sysroot=/s --os=alt-containeros --override-commit=" + sum2 + " --deploy-only --stage"},
		{UpgradeOpts{Commit: sum1, DeployOnly: true, AllowDowngrade: true},
			"ostree admin upgrade --sysroot=/s --override-commit=" + sum1 + " --deploy-only --allow-downgrade"},
	}
	for _, tt := range tests {
		if got := strings.Join(upgradeArgs("/s", tt.o), " "); got != tt.want {
			t.Errorf("upgradeArgs(/s, %+v) = %q, want %q", tt.o, got, tt.want)
		}
	}
}

func TestRedeployAndUndeployArgs(t *testing.T) {
	d := DeploymentEntry{Index: 1, OSName: "alt-containeros", Checksum: sum1, Serial: 0}
	want := "ostree admin deploy --sysroot=/s --os=alt-containeros --retain --origin-file=/s/ostree/deploy/alt-containeros/deploy/" + sum1 + ".0.origin " + sum1
	if got := strings.Join(redeployArgs("/s", d), " "); got != want {
		t.Errorf("redeployArgs() = %q, want %q", got, want)
	}
	if got := strings.Join(undeployArgs("/s", 2), " "); got != "ostree admin undeploy --sysroot=/s 2" {
		t.Errorf("undeployArgs(/s, 2) = %q", got)
	}
}

func TestRollbackTarget(t *testing.T) {
	a := DeploymentEntry{Index: 0, Checksum: sum2}
	b := DeploymentEntry{Index: 1, Checksum: sum1}
	bBooted := b
	bBooted.Booted = true
	aBooted := a
	aBooted.Booted = true
	tests := []struct {
		name   string
		ds     []DeploymentEntry
		want   string
		wantOK bool
	}{
		{"offline: the second becomes default", []DeploymentEntry{a, b}, sum1, true},
		{"booted default: its rollback", []DeploymentEntry{aBooted, b}, sum1, true},
		{"pending update: the booted one", []DeploymentEntry{a, bBooted}, sum1, true},
		{"one deployment: nothing", []DeploymentEntry{a}, "", false},
	}
	for _, tt := range tests {
		got, ok := RollbackTarget(tt.ds)
		if ok != tt.wantOK || got.Checksum != tt.want {
			t.Errorf("%s: RollbackTarget() = %s, %v, want %s, %v", tt.name, got.Checksum, ok, tt.want, tt.wantOK)
		}
	}
}

func TestParseRefHistory(t *testing.T) {
	text := "commit " + sum2 + "\nParent:  " + sum1 + "\nContentChecksum:  0c70\nDate:  2026-11-25 09:51:33 +0000\nVersion: sisyphus.20261125.2.0\n\n    v2\n\n" +
		"commit " + sum1 + "\nContentChecksum:  2b56\nDate:  2026-11-25 09:51:30 +0000\nVersion: sisyphus.20261125.1.0\n\n    v1\n\n"
	got, err := parseRefHistory(text)
	if err != nil {
		t.Fatal(err)
	}
	want := []HistoryCommit{
		{Checksum: sum2, Parent: sum1, Version: "sisyphus.20261125.2.0", Date: "2026-11-25 09:51:33 +0000", Subject: "v2"},
		{Checksum: sum1, Version: "sisyphus.20261125.1.0", Date: "2026-11-25 09:51:30 +0000", Subject: "v1"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseRefHistory() = %+v, want %+v", got, want)
	}
	if _, err := parseRefHistory("commit xyz\n"); err == nil {
		t.Error("parseRefHistory(commit xyz) = nil error, want an error")
	}
}
