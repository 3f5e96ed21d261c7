#!/bin/bash
# ALTCOS dracut module: on the first boot of a machine installed on metal,
# hand Ignition the config the installer left on the boot partition.
# compose runs dracut with --add "ostree ignition altcos".

check() {
    # Only when asked for (--add altcos).
    return 255
}

depends() {
    echo ignition systemd
}

installkernel() {
    # Drivers to find and mount the root and boot partitions on the machines
    # ALTCOS boots on (QEMU virtio, SATA, NVMe, SCSI) and to read the QEMU
    # fw_cfg Ignition config, also in a --no-hostonly image.
    hostonly='' instmods qemu_fw_cfg virtio_blk virtio_pci virtio_scsi virtio_net \
        ext4 xfs ahci nvme sd_mod
}

install() {
    mkdir -p "$initdir/$systemdsystemunitdir/ignition-complete.target.requires"
    inst_multiple mount umount mountpoint cp mkdir sleep readlink tr sed tail systemd-tmpfiles
    inst_script "$moddir/altcos-ignition-var.sh" /usr/sbin/altcos-ignition-var
    # No SELinux policy in the OS: a setfiles that labels nothing and, for
    # Ignition's files stage only, a config saying SELinux is disabled, for
    # an Ignition that always relabels (see altcos-ignition-selinux.service).
    if ! find_binary setfiles >/dev/null; then
        inst_script "$moddir/setfiles-none.sh" /usr/sbin/setfiles
        inst_script "$moddir/altcos-ignition-selinux.sh" /usr/sbin/altcos-ignition-selinux
        inst_simple "$moddir/altcos-ignition-selinux.service" \
            "$systemdsystemunitdir/altcos-ignition-selinux.service"
        ln_r "../altcos-ignition-selinux.service" \
            "$systemdsystemunitdir/ignition-complete.target.requires/altcos-ignition-selinux.service"
    fi
    inst_simple "$moddir/altcos-ignition-var.service" \
        "$systemdsystemunitdir/altcos-ignition-var.service"
    inst_multiple systemctl
    inst_script "$moddir/altcos-ignition-presets.sh" /usr/sbin/altcos-ignition-presets
    inst_simple "$moddir/altcos-ignition-presets.service" \
        "$systemdsystemunitdir/altcos-ignition-presets.service"
    inst_script "$moddir/altcos-ignition-user.sh" /usr/sbin/altcos-ignition-user
    inst_simple "$moddir/altcos-ignition-user.service" \
        "$systemdsystemunitdir/altcos-ignition-user.service"
    # Started only when Ignition runs (ignition-generator pulls in
    # ignition-complete.target on ignition.firstboot).
    mkdir -p "$initdir/$systemdsystemunitdir/ignition-complete.target.requires"
    ln_r "../altcos-ignition-user.service" \
        "$systemdsystemunitdir/ignition-complete.target.requires/altcos-ignition-user.service"
    ln_r "../altcos-ignition-var.service" \
        "$systemdsystemunitdir/ignition-complete.target.requires/altcos-ignition-var.service"
    ln_r "../altcos-ignition-presets.service" \
        "$systemdsystemunitdir/ignition-complete.target.requires/altcos-ignition-presets.service"
}
