package disks

import (
	"bytes"
	"encoding/binary"
	"os"
	"strings"
)

// probe reads the filesystem type and label from the superblock of the
// device node at path, the few kinds the installer meets: ext2/3/4, xfs,
// vfat, iso9660 and swap. It returns "" for anything else or an unreadable device.
func probe(path string) (fstype, label string) {
	f, err := os.Open(path)
	if err != nil {
		return "", ""
	}
	defer f.Close()
	buf := make([]byte, 0x8800)
	n, _ := f.ReadAt(buf, 0)
	buf = buf[:n]
	at := func(off, size int) []byte {
		if off+size > len(buf) {
			return nil
		}
		return buf[off : off+size]
	}
	cstr := func(b []byte) string {
		if i := bytes.IndexByte(b, 0); i >= 0 {
			b = b[:i]
		}
		return strings.TrimSpace(string(b))
	}
	// ext2/3/4: magic 0xEF53 at 1024+0x38, label at 1024+0x78.
	if m := at(1024+0x38, 2); m != nil && binary.LittleEndian.Uint16(m) == 0xEF53 {
		return "ext4", cstr(at(1024+0x78, 16))
	}
	if m := at(0, 4); string(m) == "XFSB" {
		return "xfs", cstr(at(0x6c, 12))
	}
	if m := at(0x8001, 5); string(m) == "CD001" {
		return "iso9660", cstr(at(0x8028, 32))
	}
	for _, pg := range []int{4096, 8192, 16384, 65536} {
		if m := at(pg-10, 10); string(m) == "SWAPSPACE2" || string(m) == "SWAP-SPACE" {
			return "swap", cstr(at(1024+28, 16))
		}
	}
	// vfat: boot signature 0x55AA and a FAT type string at 0x52 (FAT32) or 0x36 (FAT12/16).
	if sig := at(510, 2); sig != nil && sig[0] == 0x55 && sig[1] == 0xAA {
		if t := at(0x52, 5); string(t) == "FAT32" {
			return "vfat", noName(cstr(at(0x47, 11)))
		}
		if t := at(0x36, 3); string(t) == "FAT" {
			return "vfat", noName(cstr(at(0x2b, 11)))
		}
	}
	return "", ""
}

func noName(s string) string {
	if s == "NO NAME" {
		return ""
	}
	return s
}
