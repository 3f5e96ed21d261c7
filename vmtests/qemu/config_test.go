package qemu

import (
	"strings"
	"testing"
)

func TestConfigArgs(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		want    string // joined with spaces
		wantErr string
	}{
		{
			name: "bios install from ISO",
			cfg: Config{Name: "inst", NoReboot: true, Net: true, Drives: []Drive{
				{Path: "/o/disk.img", Serial: "target", BootIndex: 2},
				{Path: "/o/live.iso", CDROM: true, BootIndex: 1},
			}},
			want: "-name inst -machine q35 -accel tcg -m 2048 -smp 1 -nodefaults -display none -serial stdio -device virtio-rng-pci -no-reboot " +
				"-drive file=/o/disk.img,format=raw,if=none,id=drive0,cache=unsafe -device virtio-blk-pci,drive=drive0,serial=target,bootindex=2 " +
				"-device virtio-scsi-pci,id=scsi1 -drive file=/o/live.iso,format=raw,if=none,id=drive1,media=cdrom,readonly=on -device scsi-cd,bus=scsi1.0,drive=drive1,bootindex=1 " +
				"-netdev user,id=net0 -device virtio-net-pci,netdev=net0",
		},
		{
			name: "uefi qcow2 with fw_cfg",
			cfg: Config{Name: "q", OutDir: "/o", Accel: "kvm", MemoryMiB: 1024, CPUs: 2, Firmware: UEFI, OVMFCode: "/f/CODE.fd", OVMFVars: "/f/VARS.fd",
				Drives: []Drive{{Path: "/o/a.qcow2", Format: "qcow2"}},
				FwCfg:  map[string]string{"opt/com.coreos/config": "/o/c.ign"}},
			want: "-name q -machine q35 -accel kvm -m 1024 -smp 2 -nodefaults -display none -serial stdio -device virtio-rng-pci " +
				"-drive if=pflash,format=raw,unit=0,readonly=on,file=/f/CODE.fd -drive if=pflash,format=raw,unit=1,file=/o/q.OVMF_VARS.fd " +
				"-drive file=/o/a.qcow2,format=qcow2,if=none,id=drive0,cache=unsafe -device virtio-blk-pci,drive=drive0 " +
				"-fw_cfg name=opt/com.coreos/config,file=/o/c.ign",
		},
		{
			name: "uefi secure boot from a usb stick",
			cfg: Config{Name: "sb", OutDir: "/o", Firmware: UEFISecureBoot, OVMFCode: "/f/CODE.secboot.fd", OVMFVars: "/f/VARS.ms.fd",
				Drives: []Drive{{Path: "/s.iso", Bus: "usb", ReadOnly: true, BootIndex: 1}}},
			want: "-name sb -machine q35,smm=on -accel tcg -m 2048 -smp 1 -nodefaults -display none -serial stdio -device virtio-rng-pci " +
				"-global driver=cfi.pflash01,property=secure,value=on " +
				"-drive if=pflash,format=raw,unit=0,readonly=on,file=/f/CODE.secboot.fd -drive if=pflash,format=raw,unit=1,file=/o/sb.OVMF_VARS.fd " +
				"-device qemu-xhci,id=xhci -drive file=/s.iso,format=raw,if=none,id=drive0,cache=unsafe,readonly=on -device usb-storage,bus=xhci.0,drive=drive0,removable=on,bootindex=1",
		},
		{name: "secure boot without ovmf", cfg: Config{Name: "u", Firmware: UEFISecureBoot}, wantErr: "OVMF"},
		{
			name: "pxe",
			cfg:  Config{Name: "p", CPUs: 2, Kernel: "/k", Initrd: "/i", Append: "console=ttyS0 altcos.inst.install_dev=/dev/vda"},
			want: "-name p -machine q35 -accel tcg,thread=multi -m 2048 -smp 2 -nodefaults -display none -serial stdio -device virtio-rng-pci " +
				"-kernel /k -initrd /i -append console=ttyS0 altcos.inst.install_dev=/dev/vda",
		},
		{name: "no name", cfg: Config{}, wantErr: "empty name"},
		{name: "uefi without ovmf", cfg: Config{Name: "u", Firmware: UEFI}, wantErr: "OVMF"},
		{name: "append without kernel", cfg: Config{Name: "a", Append: "x"}, wantErr: "need a kernel"},
		{name: "comma in path", cfg: Config{Name: "c", Drives: []Drive{{Path: "/a,b"}}}, wantErr: "comma"},
		{name: "bad firmware", cfg: Config{Name: "f", Firmware: "coreboot"}, wantErr: "unknown firmware"},
		{name: "ahci cdrom", cfg: Config{Name: "c", Drives: []Drive{{Path: "/l.iso", CDROM: true, Bus: "ahci"}}},
			want: "-name c -machine q35 -accel tcg -m 2048 -smp 1 -nodefaults -display none -serial stdio -device virtio-rng-pci " +
				"-drive file=/l.iso,format=raw,if=none,id=drive0,media=cdrom,readonly=on -device ide-cd,drive=drive0,bus=ide.0"},
		{name: "sata disk, usb stick, nvme", cfg: Config{Name: "h", Drives: []Drive{{Path: "/d.img", Bus: "ahci", BootIndex: 2}, {Path: "/s.iso", Bus: "usb", BootIndex: 1}, {Path: "/n.img", Bus: "nvme"}}},
			want: "-name h -machine q35 -accel tcg -m 2048 -smp 1 -nodefaults -display none -serial stdio -device virtio-rng-pci " +
				"-drive file=/d.img,format=raw,if=none,id=drive0,cache=unsafe -device ide-hd,drive=drive0,bus=ide.0,bootindex=2 " +
				"-device qemu-xhci,id=xhci -drive file=/s.iso,format=raw,if=none,id=drive1,cache=unsafe -device usb-storage,bus=xhci.0,drive=drive1,removable=on,bootindex=1 " +
				"-drive file=/n.img,format=raw,if=none,id=drive2,cache=unsafe -device nvme,drive=drive2,serial=nvme2"},
		{name: "bad disk bus", cfg: Config{Name: "c", Drives: []Drive{{Path: "/d.img", Bus: "scsi"}}}, wantErr: "disk bus"},
		{name: "bad cdrom bus", cfg: Config{Name: "c", Drives: []Drive{{Path: "/l.iso", CDROM: true, Bus: "floppy"}}}, wantErr: "CD-ROM bus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.cfg.Args()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Args() error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if g := strings.Join(got, " "); g != tt.want {
				t.Errorf("Args() =\n%s\nwant\n%s", g, tt.want)
			}
		})
	}
}
