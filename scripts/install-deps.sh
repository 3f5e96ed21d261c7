#!/usr/bin/env bash
# Installs the Debian packages the project's builds and tests run: the real tools
# (ostree, mmdebstrap, e2fsprogs, dosfstools, GRUB, QEMU, OVMF, xorriso, OpenSSH,
# Chromium for the download site's browser test,
# rpm: compose reads rpm trees' package databases, the tests build rpm packages
# and, with db5.3-util, an rpm database in ALT's BerkeleyDB format;
# sbsigntool: the tests read the Secure Boot signatures of shim, GRUB and the kernel).
# Idempotent: does nothing when every tool is present. Needs root.
set -euo pipefail

pkgs=(
  ostree mmdebstrap debian-archive-keyring
  e2fsprogs dosfstools mtools fdisk gdisk
  grub-pc-bin grub-efi-amd64-bin grub-common
  qemu-system-x86 qemu-utils ovmf xorriso
  openssh-server openssh-client whois zstd cpio busybox-static ca-certificates
  bubblewrap systemd docker-compose chromium rpm db5.3-util gnupg gpgv xz-utils sbsigntool
)
# One tool per package (or more): a package is installed when its tool is missing.
tools=(ostree bwrap systemctl mmdebstrap mkfs.ext4 mkfs.vfat mcopy sfdisk sgdisk grub-mkimage qemu-system-x86_64 qemu-img xorriso sshd ssh mkpasswd zstd cpio busybox docker-compose chromium rpm rpmbuild db5.3_load gpg gpgv gpgconf xz sbverify)

missing=()
for t in "${tools[@]}"; do
  command -v "$t" >/dev/null 2>&1 || [ -x "/usr/sbin/$t" ] || [ -x "/sbin/$t" ] || missing+=("$t")
done
[ -f /usr/share/OVMF/OVMF_CODE.fd ] || [ -f /usr/share/OVMF/OVMF_CODE_4M.fd ] || missing+=(ovmf)
[ -d /usr/lib/grub/i386-pc ] || missing+=(grub-pc-bin)
[ -d /usr/lib/grub/x86_64-efi ] || missing+=(grub-efi-amd64-bin)

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all tools present"
  exit 0
fi
echo "install-deps: missing ${missing[*]}; installing Debian packages"
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: run as root (apt-get install ${pkgs[*]})" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${pkgs[@]}"
