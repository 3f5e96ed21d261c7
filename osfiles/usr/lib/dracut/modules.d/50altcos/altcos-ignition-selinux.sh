#!/bin/sh
# start: write /sysroot/etc/selinux/config (SELinux disabled) when the OS
# has none; stop: remove what start wrote, before switch-root.
set -eu
cfg=/sysroot/etc/selinux/config
made=/run/altcos/selinux-config-made
case "${1:-}" in
start)
    [ -e "$cfg" ] && exit 0
    mkdir -p /run/altcos
    [ -d /sysroot/etc/selinux ] || : > /run/altcos/selinux-dir-made
    mkdir -p /sysroot/etc/selinux
    printf 'SELINUX=disabled\nSELINUXTYPE=altcos-none\n' > "$cfg"
    : > "$made"
    ;;
stop)
    [ -e "$made" ] || exit 0
    rm -f "$cfg" "$made"
    if [ -e /run/altcos/selinux-dir-made ]; then
        rmdir /sysroot/etc/selinux 2>/dev/null || true
        rm -f /run/altcos/selinux-dir-made
    fi
    ;;
*)
    echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
