// Package toolset names the external programs an install runs. It is a leaf
// package so that the live initramfs builder can read the list without
// importing the installer (whose tests import the image build, which imports
// the initramfs builder: an import cycle).
package toolset

// External are the programs the installer's back half runs (through
// internal/run): the live initramfs must carry them. losetup only in image
// mode; mmd and mcopy (mtools) write the ESP without a vfat mount;
// grub-mkimage makes the GRUB images from the installed OS's own modules;
// gpgv checks the signatures of a network image (--image-url, --stream).
var External = []string{"mkfs.vfat", "mkfs.ext4", "grub-mkimage", "mmd", "mcopy", "losetup", "gpgv"}
