#!/bin/sh
# mount: bind the stateroot's var (ostree/deploy/<os>/var of the physical
# root, at /sysroot/sysroot after ostree-prepare-root) on /sysroot/var and
# run the deployment's tmpfiles.d for /var; umount: undo before switch-root.
set -eu
case "${1:-}" in
mount)
    mountpoint -q /sysroot/var && exit 0
    karg=$(tr ' ' '\n' < /proc/cmdline | sed -n 's/^ostree=//p' | tail -n 1)
    [ -n "$karg" ] || { echo "altcos: no ostree= kernel argument" >&2; exit 1; }
    deploy=$(readlink -f "/sysroot/sysroot$karg")
    var=${deploy%/deploy/*}/var
    [ -d "$var" ] || { echo "altcos: no stateroot var at $var" >&2; exit 1; }
    mount --bind "$var" /sysroot/var
    systemd-tmpfiles --root=/sysroot --create --boot --prefix=/var/home --prefix=/var/roothome || true
    ;;
umount)
    if mountpoint -q /sysroot/var; then umount /sysroot/var; fi
    ;;
*)
    echo "usage: $0 mount|umount" >&2; exit 2 ;;
esac
