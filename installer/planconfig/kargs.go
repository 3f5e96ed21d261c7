package planconfig

import (
	"sort"
	"strings"

	"github.com/altcos/altcos-tools/installer"
	"github.com/altcos/altcos-tools/installer/kargs"
)

// KargKind is how an installer kernel argument's value is read.
type KargKind int

const (
	// KargValue is KEY=VALUE; a later one replaces an earlier one.
	KargValue KargKind = iota
	// KargBool is a bare KEY (true) or KEY=VALUE with a boolean.
	KargBool
	// KargRepeat adds one list item per occurrence (append_karg=A append_karg=B).
	KargRepeat
	// KargCommaList adds comma-separated items (save_partlabel=a,b*), as
	// coreos-installer reads them.
	KargCommaList
)

// Karg is one installer kernel argument, read after altcos.inst. and
// coreos.inst. alike (altcos.inst.* wins).
type Karg struct {
	Name string   // after the prefix
	Key  string   // the plan setting (YAML key); "" when refused
	Kind KargKind //
	// FCOS marks an argument coreos-installer documents, read here with
	// Fedora CoreOS's meaning; the others are ALTCOS's own.
	FCOS bool
	// Warn is said (Plan.Warnings) when the argument is accepted but not
	// honoured as Fedora CoreOS does.
	Warn string
	// Refuse is the reason an argument is refused (exit 2).
	Refuse string
}

// Kargs is every installer kernel argument. A Fedora CoreOS PXE or ISO
// configuration works unchanged: each coreos.inst.* that coreos-installer
// documents is here.
var Kargs = []Karg{
	{Name: "install_dev", Key: "dest-device", FCOS: true},
	{Name: "ignition_url", Key: "ignition-url", FCOS: true},
	{Name: "image_url", Key: "image-url", FCOS: true},
	{Name: "platform_id", Key: "platform", FCOS: true},
	{Name: "stream", Key: "stream", FCOS: true}, // with stream_base_url: the stream's newest release from the network; see StreamWarning
	{Name: "stream_base_url", Key: "stream-base-url"},
	{Name: "save_partlabel", Key: "save-partlabel", Kind: KargCommaList, FCOS: true},
	{Name: "save_partindex", Key: "save-partindex", Kind: KargCommaList, FCOS: true},
	{Name: "insecure", Key: "insecure", Kind: KargBool, FCOS: true}, // allow an unsigned image; see InsecureWarning
	{Name: "skip_reboot", Key: "no-reboot", Kind: KargBool, FCOS: true},
	{Name: "secure_ipl", Kind: KargBool, FCOS: true,
		Refuse: "IBM Z Secure IPL does not exist on this architecture (the installer writes GRUB for BIOS and UEFI); drop it"},
	{Name: "ignition_hash", Key: "ignition-hash"},
	{Name: "image_sha256", Key: "image-sha256"},
	{Name: "insecure_ignition", Key: "insecure-ignition", Kind: KargBool},
	{Name: "append_karg", Key: "append-karg", Kind: KargRepeat},
	{Name: "delete_karg", Key: "delete-karg", Kind: KargRepeat},
	{Name: "console", Key: "console", Kind: KargRepeat},
	{Name: "root_password_hash", Key: "root-password-hash"},
	// An unattended scp fetch needs the host's key.
	{Name: "ssh_host_key", Key: "ssh-host-key"},
	{Name: "pre_install", Key: "pre-install", Kind: KargRepeat},
	// coreos-installer has the flags and YAML keys but no kargs: its
	// service forwards ip= and the other network kargs to the installed
	// system's first boot instead (NetworkManager keeps them).
	{Name: "copy_network", Key: "copy-network", Kind: KargBool},
	{Name: "network_dir", Key: "network-dir"},
	{Name: "post_install", Key: "post-install", Kind: KargRepeat},
}

// InsecureWarning is said whenever insecure is set (Fedora CoreOS's
// meaning: allow an unsigned image).
const InsecureWarning = "insecure: the signatures of a downloaded deploy archive and its manifest are not checked (the archive's sha256 from its manifest still is); for a plain-http Ignition URL use insecure-ignition"

// StreamWarning is said when a stream is named without a stream base URL:
// ALTCOS has no default download site, so nothing is downloaded.
const StreamWarning = "stream without a stream base URL (--stream-base-url, altcos.inst.stream_base_url): the deploy archive of the live medium (or image_url) is installed, checked to be of this stream; nothing is downloaded from the stream"

func findKarg(name string) (Karg, bool) {
	for _, k := range Kargs {
		if k.Name == name {
			return k, true
		}
	}
	return Karg{}, false
}

func kargNames() string {
	var ks []string
	for _, k := range Kargs {
		if k.Refuse == "" {
			ks = append(ks, k.Name)
		}
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

// DefaultConsole gives the installed system the live system's consoles
// (the console= arguments of cmdline, read from name, e.g. /proc/cmdline)
// when no source set the console: a machine installed from a serial
// console keeps talking on it. Consoles the plan could not validate (such
// as uart8250,io,0x3f8) are left out. It returns what it set.
func DefaultConsole(p *installer.Plan, cmdline, name string) []string {
	if len(p.Console) > 0 || p.Origin["console"] != "" {
		return nil
	}
	args, err := kargs.Parse(cmdline)
	if err != nil {
		return nil // ApplyKargs has reported it
	}
	var cons []string
	for _, a := range args {
		if a.Key == "console" && a.HasValue && consoleRe.MatchString(a.Value) && !contains(cons, a.Value) {
			cons = append(cons, a.Value)
		}
	}
	if len(cons) > 0 {
		p.Console = cons
		p.Origin["console"] = "live system " + name
	}
	return cons
}
