#!/bin/sh
# Copies the Ignition config the installer wrote to /ignition/config.ign on
# the partition labelled "boot" to /usr/lib/ignition/user.ign (initramfs).
set -eu
dev=/dev/disk/by-label/boot
dst=/usr/lib/ignition/user.ign
mnt=/run/altcos/bootpart

i=0
while [ ! -e "$dev" ]; do
    i=$((i + 1))
    if [ "$i" -gt 120 ]; then
        echo "altcos: no partition labelled boot after 60 s; Ignition runs without a user config" >&2
        exit 0
    fi
    sleep 0.5
done

mkdir -p "$mnt"
mount -o ro "$dev" "$mnt"
if [ -f "$mnt/ignition/config.ign" ]; then
    mkdir -p "${dst%/*}"
    cp "$mnt/ignition/config.ign" "$dst"
    echo "altcos: Ignition user config copied from the boot partition"
else
    echo "altcos: no ignition/config.ign on the boot partition; Ignition runs without a user config"
fi
umount "$mnt"
