#!/bin/sh
# Ignition enables and disables the units of its config by writing
# /etc/systemd/system-preset/20-ignition.preset and leaves applying it to
# systemd's preset-all on the first boot. ALTCOS, composed from Debian, has
# no "disable *" default preset, so a preset-all would enable every unit
# Debian ships disabled (ssh.socket beside ssh.service, among others), and an
# empty /etc/machine-id does not count as a first boot anyway. So apply the
# presets of the units Ignition named, and only those, to the deployment.
set -eu
root=${ALTCOS_SYSROOT:-/sysroot} # a test sets another root
preset=$root/etc/systemd/system-preset/20-ignition.preset
[ -f "$preset" ] || exit 0
units=
while read -r verb unit instances; do
    case "$verb" in enable|disable) ;; *) continue ;; esac
    [ -n "$unit" ] || continue
    case "$unit" in
    *@.*)
        if [ -n "$instances" ]; then
            for i in $instances; do units="$units ${unit%%@.*}@$i.${unit##*@.}"; done
        else
            units="$units $unit"
        fi ;;
    *) units="$units $unit" ;;
    esac
done < "$preset"
[ -n "$units" ] || exit 0
echo "altcos: applying Ignition's presets to:$units"
# shellcheck disable=SC2086 # one argument per unit
systemctl --root="$root" preset $units
