#!/bin/bash
# The seed installer's sequence (ALT's 2021 altcos-installer.sh: parted; mkfs;
# ostree admin init-fs; pull-local; admin deploy; grub-install), run by
# `make bench-install` on an image file for comparison with altcos-installer.
# Usage: seed-install.sh IMAGE REPO REF OSNAME
# Stand-ins where this machine differs: sfdisk for parted (not installed),
# partx -a because the kernel here parses no partition tables, and, since
# grub-install cannot map loop devices, grub-mkimage + dd when it fails.
set -euo pipefail
img=$1 repo=$2 ref=$3 osname=$4
dev=$(losetup --find --show --partscan "$img")
mnt=$(mktemp -d)
cleanup() {
	umount "$mnt/boot" 2>/dev/null || true
	umount "$mnt" 2>/dev/null || true
	partx -d "$dev" 2>/dev/null || true
	losetup -d "$dev"
	rmdir "$mnt"
}
trap cleanup EXIT
sfdisk --quiet "$dev" <<PARTS
label: gpt
size=1MiB, type=21686148-6449-6E6F-744E-656564454649, name=BIOS-BOOT
size=127MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=EFI-SYSTEM
size=384MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=boot
type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=root
PARTS
partx -a "$dev" 2>/dev/null || true
for i in 1 2 3 4; do for _ in $(seq 100); do [ -b "${dev}p$i" ] && break; sleep 0.05; done; done
mkfs.vfat -F 32 -n EFI-SYSTEM "${dev}p2" >/dev/null
mkfs.ext4 -q -F -L boot "${dev}p3"
mkfs.ext4 -q -F -L root "${dev}p4"
mount "${dev}p4" "$mnt"
mkdir -p "$mnt/boot"
mount "${dev}p3" "$mnt/boot"
ostree admin init-fs --modern "$mnt"
ostree admin os-init --sysroot="$mnt" "$osname"
ostree pull-local --repo="$mnt/ostree/repo" "$repo" "$ref" >/dev/null
ostree --repo="$mnt/ostree/repo" config set sysroot.bootloader none
ostree admin deploy --sysroot="$mnt" --os="$osname" --karg=root=LABEL=root --karg=rw "$ref" >/dev/null
if ! grub-install --target=i386-pc --boot-directory="$mnt/boot" "$dev" >/dev/null 2>&1; then
	grub-mkimage -O i386-pc -o "$mnt/boot/core.img" -p /grub biosdisk part_gpt ext2 search search_fs_uuid normal configfile linux
	dd if="$mnt/boot/core.img" of="$dev" bs=512 seek=2048 conv=notrunc status=none
	dd if=/usr/lib/grub/i386-pc/boot.img of="$dev" bs=440 count=1 conv=notrunc status=none
fi
sync
