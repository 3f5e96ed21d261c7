package vmtests

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/altcos/altcos-tools/altcos"
	"github.com/altcos/altcos-tools/installer/partition"
	"github.com/altcos/altcos-tools/internal/run"
	"github.com/altcos/altcos-tools/vmtests/qemu"
)

// The data partition an operator adds after the install: the disk grows by
// dataGrow (as a virtual disk does) and the partition takes the new room but
// the backup GPT's last MiB; its ext4 holds dataFile, random bytes.
const (
	dataLabel = "data"
	dataGrow  = 1 << 30
	dataSize  = dataGrow - partition.MiB
	dataFile  = "keep-me.bin"
)

// dataPartition is what must survive the reinstall.
type dataPartition struct {
	Entry   partition.Kept // its GPT entry: number, place, type, GUID, name
	Sum     string         // qemu.RangeDigest of its bytes
	FileSum string         // sha256 of dataFile on it
}

// reinstallKeepData is the reinstall-keep-data scenario: a partition
// labelled data, with a file on it, is added after the OS's partitions of an
// installed disk; an unattended PXE reinstall with
// altcos.inst.save_partlabel=data keeps its GPT entry and every byte, and
// the new system boots (Ignition ran again) and reads the file with the same
// sha256. It goes on from the disk interactive installed and checked in the
// same run; alone, it installs one first.
func reinstallKeepData(ctx context.Context, env *Env) error {
	kernel, initrd, err := pxeFiles(env)
	if err != nil {
		return err
	}
	srv, err := qemu.Serve(env.Log, map[string][]byte{"config.ign": vmtestIgnition})
	if err != nil {
		return err
	}
	defer srv.Close()
	kargs := configInstallKargs(env, srv)
	disk, err := env.takeDisk("interactive", "disk.img")
	if err != nil {
		return err
	}
	if disk != "" {
		env.step("going on from the disk interactive installed and checked")
	} else {
		env.step("no disk from interactive in this run: installing one first (PXE, unattended)")
		disk = filepath.Join(env.Out, "disk.img")
		if err := qemu.BlankDisk(ctx, env.Log, disk, diskSize); err != nil {
			return err
		}
		if err := pxeRun(ctx, env, pxeMachine(env, "keep-install", kernel, initrd, disk, kargs...)); err != nil {
			return err
		}
	}

	before, err := addDataPartition(ctx, env, disk)
	if err != nil {
		return err
	}
	env.step("added %s: ext4 labelled %s with %s (sha256 %s)", before.Entry, dataLabel, dataFile, short(before.FileSum))

	c := pxeMachine(env, "keep-reinstall", kernel, initrd, disk, append(kargs, "altcos.inst.save_partlabel="+dataLabel)...)
	env.step("%s: PXE reinstall with altcos.inst.save_partlabel=%s", c.Name, dataLabel)
	m, err := qemu.Start(ctx, env.Log, c)
	if err != nil {
		return err
	}
	defer m.Close()
	if err := runInstall(ctx, env, m); err != nil {
		return err
	}
	// The installer's plan named the partition it keeps.
	if want := fmt.Sprintf("keep partition %d %q", before.Entry.Number, dataLabel); !strings.Contains(m.Console.Output(), want) {
		return m.Fail("the installer's plan", fmt.Errorf("no %q on the console", want))
	}
	m.Close()
	after, err := readDataPartition(disk)
	if err != nil {
		return err
	}
	if after.Entry != before.Entry || after.Sum != before.Sum {
		return fmt.Errorf("the reinstall changed the kept partition: GPT entry %+v -> %+v, digest of its bytes %s -> %s", before.Entry, after.Entry, before.Sum, after.Sum)
	}
	env.step("%s: GPT entry and all %d MiB of %s unchanged", c.Name, before.Entry.Size/partition.MiB, dataLabel)
	return checkKeptData(ctx, env, disk, before.FileSum)
}

// addDataPartition does on the host what an operator does on the machine:
// the disk grows by dataGrow; sfdisk moves the backup GPT to the new end and
// adds the partition in the new room; mkfs.ext4 -d makes its filesystem with
// the file in place.
func addDataPartition(ctx context.Context, env *Env, disk string) (dataPartition, error) {
	fi, err := os.Stat(disk)
	if err != nil {
		return dataPartition{}, err
	}
	start := fi.Size()
	if start%partition.MiB != 0 {
		return dataPartition{}, fmt.Errorf("%s: size %d is not whole MiB", disk, start)
	}
	if err := os.Truncate(disk, start+dataGrow); err != nil {
		return dataPartition{}, err
	}
	script := fmt.Sprintf("start=%d, size=%d, type=%s, name=%s\n", start/512, dataSize/512, partition.TypeLinux, dataLabel)
	if err := run.Run(ctx, env.Log, run.Cmd{Argv: []string{"sfdisk", "--quiet", "--append", disk}, Stdin: strings.NewReader(script)}); err != nil {
		return dataPartition{}, fmt.Errorf("add the data partition: %w", err)
	}
	src := filepath.Join(env.Out, "data-files")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return dataPartition{}, err
	}
	content := make([]byte, 4<<20)
	if _, err := rand.Read(content); err != nil {
		return dataPartition{}, err
	}
	if err := os.WriteFile(filepath.Join(src, dataFile), content, 0o644); err != nil {
		return dataPartition{}, err
	}
	// Straight into the partition: mke2fs writes at the offset.
	mkfs := []string{"mkfs.ext4", "-q", "-F", "-L", dataLabel, "-E", fmt.Sprintf("offset=%d", start), "-d", src, disk, fmt.Sprint(dataSize / 1024)}
	if err := run.Run(ctx, env.Log, run.Cmd{Argv: mkfs}); err != nil {
		return dataPartition{}, fmt.Errorf("the data partition's filesystem: %w", err)
	}
	d, err := readDataPartition(disk)
	if err != nil {
		return d, err
	}
	if d.Entry.Start != start || d.Entry.Size != dataSize {
		return d, fmt.Errorf("%s: the data partition is %s, want it at %d MiB, %d MiB long", disk, d.Entry, start/partition.MiB, dataSize/partition.MiB)
	}
	d.FileSum = sha256Hex(content)
	return d, nil
}

// readDataPartition finds the partition labelled data on disk (its GPT,
// read with the installer's code) and digests its bytes.
func readDataPartition(disk string) (dataPartition, error) {
	f, err := os.Open(disk)
	if err != nil {
		return dataPartition{}, err
	}
	defer f.Close()
	parts, err := partition.ReadTable(f, 512)
	if err != nil {
		return dataPartition{}, fmt.Errorf("read the GPT of %s: %w", disk, err)
	}
	for _, p := range parts {
		if p.Name != dataLabel {
			continue
		}
		sum, err := qemu.RangeDigest(disk, p.Start, p.Size)
		return dataPartition{Entry: p, Sum: sum}, err
	}
	return dataPartition{}, fmt.Errorf("%s has no partition labelled %s: %v", disk, dataLabel, parts)
}

// checkKeptData boots the reinstalled disk, logs in as root and checks that
// it runs the new deployment, installed afresh (Ignition wrote its file
// again, which interactive's check had changed), and that the file on the
// kept partition has its sha256.
func checkKeptData(ctx context.Context, env *Env, disk, fileSum string) error {
	want, err := env.expected(ctx)
	if err != nil {
		return err
	}
	fx, err := vmtestFixture()
	if err != nil {
		return err
	}
	cfg := env.diskMachine("keep-disk", qemu.BIOS, disk, "raw")
	env.step("%s: booting the reinstalled disk", cfg.Name)
	m, c, err := bootAndLogin(ctx, env, cfg, "root", rootPassword, diskBootTimeout)
	if m != nil {
		defer m.Close()
	}
	if err != nil {
		return err
	}
	mount := "/run/" + dataLabel
	for _, s := range []struct {
		what, cmd, want string
		contains        []string
	}{
		{"the booted deployment", "ostree admin status", "", []string{fmt.Sprintf("* %s %s.0", altcos.OSName, want.Commit)}},
		{"a fresh install: Ignition wrote its file", "cat " + fx.FilePath, fx.FileBody, nil},
		{"the kept file's sha256", fmt.Sprintf("mkdir -p %[1]s && mount -o ro /dev/disk/by-partlabel/%[2]s %[1]s && sha256sum %[1]s/%[3]s | cut -d' ' -f1", mount, dataLabel, dataFile), "", []string{fileSum}},
	} {
		ok, err := c.expect(ctx, s.what, s.cmd, commandTimeout, s.want, s.contains...)
		if err != nil {
			return err
		}
		if ok {
			env.step("%s: ok: %s", cfg.Name, s.what)
		}
	}
	if err := c.err(); err != nil {
		return err
	}
	_ = m.SendLine("poweroff")
	_ = m.Wait(ctx, 2*time.Minute)
	return nil
}
