package initramfs

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestResolveModules(t *testing.T) {
	set, err := ResolveModules("testdata/modules/6.1.0-test", RequiredModules, OptionalModules)
	if err != nil {
		t.Fatalf("ResolveModules(testdata) = %v, want no error", err)
	}
	wantFiles := []string{
		"kernel/drivers/ata/ata_piix.ko", "kernel/drivers/ata/libata.ko",
		"kernel/drivers/block/loop.ko", "kernel/drivers/block/virtio_blk.ko", "kernel/drivers/cdrom/cdrom.ko",
		"kernel/drivers/net/net_failover.ko", "kernel/drivers/net/virtio_net.ko",
		"kernel/drivers/scsi/sd_mod.ko", "kernel/drivers/scsi/sr_mod.ko", "kernel/drivers/scsi/virtio_scsi.ko",
		"kernel/drivers/virtio/virtio_pci.ko", "kernel/drivers/virtio/virtio_pci_legacy_dev.ko", "kernel/drivers/virtio/virtio_pci_modern_dev.ko",
		"kernel/fs/fat/fat.ko", "kernel/fs/fat/vfat.ko", "kernel/fs/isofs/isofs.ko",
		"kernel/fs/nls/nls_cp437.ko", "kernel/fs/nls/nls_iso8859-1.ko", "kernel/fs/squashfs/squashfs.ko",
		"kernel/net/core/failover.ko",
	}
	if !reflect.DeepEqual(set.Files, wantFiles) {
		t.Errorf("ResolveModules files = %q, want %q", set.Files, wantFiles)
	}
	if want := []string{"ext4", "nvme"}; !reflect.DeepEqual(set.Builtin, want) {
		t.Errorf("ResolveModules builtin = %q, want %q", set.Builtin, want)
	}
	if strings.Contains(set.Dep, "btrfs") {
		t.Errorf("ResolveModules dep carries btrfs, which nobody asked for:\n%s", set.Dep)
	}
	if !strings.Contains(set.Dep, "kernel/drivers/scsi/sr_mod.ko: kernel/drivers/cdrom/cdrom.ko\n") ||
		!strings.Contains(set.Dep, "kernel/fs/isofs/isofs.ko:\n") ||
		!strings.Contains(set.Dep, "kernel/fs/nls/nls_iso8859_1.ko:\n") {
		t.Errorf("ResolveModules dep = \n%s\nwant the depmod lines of the carried modules", set.Dep)
	}
	if !strings.Contains(set.Alias, "alias scsi:t-0x05* sr_mod\n") || strings.Contains(set.Alias, "btrfs") {
		t.Errorf("ResolveModules alias = \n%s\nwant the aliases of the carried modules only", set.Alias)
	}
	for _, n := range set.Load {
		if n == "ext4" || n == "ahci" {
			t.Errorf("ResolveModules load list has %s (built in or absent)", n)
		}
	}
}

func TestResolveModulesErrors(t *testing.T) {
	tests := []struct {
		dir  string
		want string
	}{
		{"testdata/modules/6.1.0-noisofs", "kernel modules isofs are neither built into the kernel"},
		{"testdata/modules/nonexistent", "modules.dep"},
	}
	for _, tt := range tests {
		_, err := ResolveModules(tt.dir, RequiredModules, OptionalModules)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ResolveModules(%s) = %v, want an error containing %q", tt.dir, err, tt.want)
		}
	}
}

// TestResolveModulesSoftdep: a generic kernel's ext4 needs crc32c, named
// only by modules.softdep through an alias; it must be carried and loaded
// before ext4.
func TestResolveModulesSoftdep(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"modules.dep":     "kernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko\nkernel/fs/jbd2/jbd2.ko:\nkernel/crypto/crc32c_generic.ko:\nkernel/fs/btrfs/btrfs.ko:\n",
		"modules.softdep": "# comment\nsoftdep ext4 pre: crypto-crc32c\nsoftdep btrfs pre: xor\n",
		"modules.alias":   "alias crypto-crc32c crc32c_generic\nalias crypto-crc32c-generic crc32c_generic\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	set, err := ResolveModules(dir, []string{"ext4"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"crc32c_generic", "ext4"}; !reflect.DeepEqual(set.Load, want) {
		t.Errorf("ResolveModules load = %q, want %q (the soft dependency first)", set.Load, want)
	}
	if want := []string{"kernel/crypto/crc32c_generic.ko", "kernel/fs/ext4/ext4.ko", "kernel/fs/jbd2/jbd2.ko"}; !reflect.DeepEqual(set.Files, want) {
		t.Errorf("ResolveModules files = %q, want %q", set.Files, want)
	}
}
