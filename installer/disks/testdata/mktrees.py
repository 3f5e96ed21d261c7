#!/usr/bin/env python3
"""Writes the fake system trees the disks tests read (testdata/<tree>/{sys,proc,dev}).

Run from installer/disks: python3 testdata/mktrees.py. The trees are committed;
this script documents how they were made. Layout follows the real sysfs:
/sys/block/NAME is a symlink into /sys/devices/..., partitions are
subdirectories with a "partition" file, holders/ and slaves/ link dm and md
devices, /dev/NAME holds the first bytes of each device (its superblock).
"""
import os, shutil, struct

GiB = 1 << 30

def w(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mode = 'wb' if isinstance(data, bytes) else 'w'
    with open(path, mode) as f:
        f.write(data)

def ext4(label):
    b = bytearray(2048)
    struct.pack_into('<H', b, 1024 + 0x38, 0xEF53)
    b[1024 + 0x78:1024 + 0x78 + len(label)] = label.encode()
    return bytes(b)

def vfat(label):
    b = bytearray(512)
    b[0x52:0x57] = b'FAT32'
    b[0x47:0x47 + 11] = label.encode().ljust(11)
    b[510:512] = b'\x55\xaa'
    return bytes(b)

def xfs(label):
    b = bytearray(512)
    b[0:4] = b'XFSB'
    b[0x6c:0x6c + len(label)] = label.encode()
    return bytes(b)

def swap(label):
    b = bytearray(4096)
    b[4086:4096] = b'SWAPSPACE2'
    b[1024 + 28:1024 + 28 + len(label)] = label.encode()
    return bytes(b)

def iso(label):
    b = bytearray(0x8800)
    b[0x8000] = 1
    b[0x8001:0x8006] = b'CD001'
    b[0x8028:0x8028 + 32] = label.encode().ljust(32)
    return bytes(b)

class Tree:
    def __init__(self, root):
        self.root = root
        shutil.rmtree(root, ignore_errors=True)
        self.mountinfo = ['22 1 0:21 / /proc rw - proc proc rw', '23 1 0:22 / /sys rw - sysfs sysfs rw']
        self.swaps = ['Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority']
        self.n = 30

    def disk(self, name, majmin, size, devpath, model='', serial='', rota=0, rm=0, ro=0,
             dtype=None, logsec=512, physec=512, sb=None, extra=None):
        real = os.path.join(self.root, 'sys/devices', devpath, 'block', name)
        files = {'dev': majmin, 'size': str(size // 512), 'ro': str(ro), 'removable': str(rm),
                 'queue/rotational': str(rota), 'queue/logical_block_size': str(logsec),
                 'queue/physical_block_size': str(physec)}
        if model:
            files['device/model'] = model
        if serial:
            files['device/serial'] = serial
        if dtype is not None:
            files['device/type'] = str(dtype)
        files.update(extra or {})
        for k, v in files.items():
            w(os.path.join(real, k), v + '\n')
        os.makedirs(os.path.join(real, 'holders'), exist_ok=True)
        os.makedirs(os.path.join(real, 'slaves'), exist_ok=True)
        link = os.path.join(self.root, 'sys/block', name)
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(os.path.relpath(real, os.path.dirname(link)), link)
        cls = os.path.join(self.root, 'sys/class/block', name)
        os.makedirs(os.path.dirname(cls), exist_ok=True)
        os.symlink(os.path.relpath(real, os.path.dirname(cls)), cls)
        w(os.path.join(self.root, 'dev', name), sb or b'')
        return real

    def part(self, disk, real, name, num, majmin, size, sb=None, ro=0):
        d = os.path.join(real, name)
        for k, v in {'dev': majmin, 'size': str(size // 512), 'ro': str(ro), 'partition': str(num)}.items():
            w(os.path.join(d, k), v + '\n')
        os.makedirs(os.path.join(d, 'holders'), exist_ok=True)
        cls = os.path.join(self.root, 'sys/class/block', name)
        os.symlink(os.path.relpath(d, os.path.dirname(cls)), cls)
        w(os.path.join(self.root, 'dev', name), sb or b'')
        return d

    def hold(self, lower_dir, upper_name, upper_real):
        """upper (dm-N, mdN) is built on lower."""
        os.symlink(os.path.relpath(upper_real, os.path.join(lower_dir, 'holders')), os.path.join(lower_dir, 'holders', upper_name))
        lname = os.path.basename(lower_dir)
        os.symlink(os.path.relpath(lower_dir, os.path.join(upper_real, 'slaves')), os.path.join(upper_real, 'slaves', lname))

    def mount(self, majmin, target, fstype, source):
        self.n += 1
        self.mountinfo.append(f'{self.n} 1 {majmin} / {target} rw,relatime shared:1 - {fstype} {source} rw')

    def swapon(self, path, size):
        self.swaps.append(f'{path}                               partition\t{size // 1024}\t\t0\t\t-2')

    def done(self):
        w(os.path.join(self.root, 'proc/self/mountinfo'), '\n'.join(self.mountinfo) + '\n')
        w(os.path.join(self.root, 'proc/swaps'), '\n'.join(self.swaps) + '\n')

# "pc": one machine with every kind of disk the installer meets.
t = Tree('testdata/pc')
t.disk('nvme0n1', '259:0', 512 * 10**9, 'pci0000:00/0000:00:01.0/nvme/nvme0', model='Samsung SSD 980 500GB', serial='S64DNF0R123456', logsec=512, physec=4096)
r = t.disk('vda', '254:0', 20 * GiB, 'pci0000:00/0000:00:04.0/virtio2', extra={'serial': 'VIRTIO-SERIAL-1'})
t.part('vda', r, 'vda1', 1, '254:1', 1 * GiB, sb=ext4('old-boot'))
t.part('vda', r, 'vda2', 2, '254:2', 19 * GiB - 2**20, sb=xfs('old-root'))
r = t.disk('sda', '8:0', 1000 * 10**9, 'pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0', model='WDC WD10EZEX-00B', serial='WD-WCC6Y1234567', rota=1, dtype=0)
t.part('sda', r, 'sda1', 1, '8:1', 500 * 10**9, sb=ext4('root'))
t.part('sda', r, 'sda2', 2, '8:2', 8 * GiB, sb=swap('swap0'))
t.mount('8:1', '/', 'ext4', '/dev/sda1')
t.mount('8:1', '/var/lib/bind\\040mount', 'ext4', '/dev/sda1')
t.swapon('/dev/sda2', 8 * GiB)
t.disk('sdb', '8:16', 32 * GiB, 'pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0', model='Ultra Fit', serial='4C530001', rm=1, dtype=0, sb=vfat('STICK'))
r = t.disk('sdc', '8:32', 100 * GiB, 'pci0000:00/0000:00:1f.2/ata2/host1/target1:0:0/1:0:0:0', model='Crucial CT100', dtype=0)
w(os.path.join(os.path.realpath(r), 'device/vpd_pg80'), b'\x00\x80\x00\x14' + b'      2045E4A1B2C3'.ljust(20))
p = t.part('sdc', r, 'sdc1', 1, '8:33', 100 * GiB - 2**20)
dm = t.disk('dm-0', '253:0', 90 * GiB, 'virtual', extra={'dm/name': 'vg0-data', 'dm/uuid': 'LVM-abcdefABCDEF0123456789abcdefABCDEF0123456789abcdef'}, sb=ext4('data'))
t.hold(p, 'dm-0', dm)
t.mount('253:0', '/srv', 'ext4', '/dev/mapper/vg0-data')
r1 = t.disk('sdd', '8:48', 200 * GiB, 'pci0000:00/0000:00:1f.2/ata3/host2/target2:0:0/2:0:0:0', dtype=0)
r2 = t.disk('sde', '8:64', 200 * GiB, 'pci0000:00/0000:00:1f.2/ata4/host3/target3:0:0/3:0:0:0', dtype=0)
md = t.disk('md0', '9:0', 200 * GiB - 2**27, 'virtual', extra={'md/level': 'raid1'})
t.hold(r1, 'md0', md)
t.hold(r2, 'md0', md)
t.disk('sr0', '11:0', 1 * GiB, 'pci0000:00/0000:00:1f.2/ata5/host4/target4:0:0/4:0:0:0', model='QEMU DVD-ROM', rm=1, ro=1, dtype=5, sb=iso('ALTCOS-sisyphus-x86_64'))
t.mount('11:0', '/run/altcos/medium', 'iso9660', '/dev/sr0')
t.disk('sdf', '8:80', 16 * GiB, 'pci0000:00/0000:00:14.0/usb2/2-2/2-2:1.0/host7/target7:0:0/7:0:0:0', model='DataTraveler', rm=1, dtype=0, sb=iso('ALTCOS_LIVE'))
t.disk('vdb', '254:16', 4 * GiB, 'pci0000:00/0000:00:05.0/virtio3')
t.disk('vdc', '254:32', 64 * GiB, 'pci0000:00/0000:00:06.0/virtio4', ro=1)
t.disk('loop0', '7:0', 0, 'virtual')
t.disk('loop1', '7:1', 10 * GiB, 'virtual', extra={'loop/backing_file': '/var/tmp/disk.img'})
t.disk('ram0', '1:0', 16 * 2**20, 'virtual')
t.done()
