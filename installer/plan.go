package installer

// Plan is everything one install needs, resolved from config files
// (/etc/altcos/installer.d/*.yaml), kernel arguments (altcos.inst.*, with
// coreos.inst.* aliases) and flags, later sources winning. It is validated
// before anything is written.
type Plan struct {
	// Device is the target: a whole block device, or a raw image file (ImageMode).
	Device    string `yaml:"dest-device" json:"dest_device,omitempty"`
	ImageMode bool   `yaml:"-" json:"image_mode,omitempty"`

	// Ignition config for the installed system: a path, file://, http(s)://,
	// scp://user@host[:port]/path or user@host:path, or data: URL.
	IgnitionFile     string `yaml:"ignition-file" json:"ignition_file,omitempty"`
	IgnitionURL      string `yaml:"ignition-url" json:"ignition_url,omitempty"`
	IgnitionHash     string `yaml:"ignition-hash" json:"ignition_hash,omitempty"` // sha256-<hex> | sha512-<hex>
	InsecureIgnition bool   `yaml:"insecure-ignition" json:"insecure_ignition,omitempty"`
	FetchRetries     int    `yaml:"fetch-retries" json:"fetch_retries,omitempty"` // -1: infinite
	SSHKnownHosts    string `yaml:"ssh-known-hosts" json:"ssh_known_hosts,omitempty"`
	SSHHostKey       string `yaml:"ssh-host-key" json:"ssh_host_key,omitempty"` // SHA256:...
	CABundle         string `yaml:"ca-bundle" json:"ca_bundle,omitempty"`

	// Kernel arguments of the installed system.
	AppendKargs []string `yaml:"append-karg" json:"append_karg,omitempty"`
	DeleteKargs []string `yaml:"delete-karg" json:"delete_karg,omitempty"`
	Console     []string `yaml:"console" json:"console,omitempty"`
	Platform    string   `yaml:"platform" json:"platform,omitempty"` // metal (default), qemu

	// CopyNetwork copies the networkd units of NetworkDir (default: the
	// live system's, DefaultNetworkDir) into the installed system's /etc
	// (coreos-installer's --copy-network, --network-dir).
	CopyNetwork bool   `yaml:"copy-network" json:"copy_network,omitempty"`
	NetworkDir  string `yaml:"network-dir" json:"network_dir,omitempty"`

	// The deploy archive to install: by default the one on the live medium.
	// With StreamBaseURL, Stream's newest release from the network (its
	// metal tar.zst in BASE/<stream>.json, as coreos-installer --stream);
	// without, the archive installed is checked to be of Stream.
	Stream        string `yaml:"stream" json:"stream,omitempty"`
	StreamBaseURL string `yaml:"stream-base-url" json:"stream_base_url,omitempty"`
	ImageFile     string `yaml:"image-file" json:"image_file,omitempty"`
	ImageURL      string `yaml:"image-url" json:"image_url,omitempty"`
	// ImageSHA256 pins the deploy archive's sha256 (hex): a network image
	// without a signature is then accepted, and must match it.
	ImageSHA256 string `yaml:"image-sha256" json:"image_sha256,omitempty"`
	// Insecure installs an image from ImageURL without checking its
	// signature (coreos-installer's --insecure; karg coreos.inst.insecure
	// in coreos-installer's sense: allow an unsigned image).
	Insecure bool `yaml:"insecure" json:"insecure,omitempty"`
	// GPGKeyring verifies the signatures of an ImageURL download; empty:
	// the live medium's release keys (installer.DefaultKeyrings).
	GPGKeyring string `yaml:"gpg-keyring" json:"gpg_keyring,omitempty"`

	// Partitions of the target's GPT to keep, as coreos-installer's
	// --save-partlabel GLOB and --save-partindex N|N-|-N|N-M.
	SavePartLabel []string `yaml:"save-partlabel" json:"save_partlabel,omitempty"`
	SavePartIndex []string `yaml:"save-partindex" json:"save_partindex,omitempty"`

	// Hooks: programs run before the first write and after the install
	// with the target and the plan in ALTCOS_INSTALL_* variables.
	PreInstall  []string `yaml:"pre-install" json:"pre_install,omitempty"`
	PostInstall []string `yaml:"post-install" json:"post_install,omitempty"`

	RootPasswordHash string `yaml:"root-password-hash" json:"-"` // never printed

	Yes             bool `yaml:"yes" json:"yes,omitempty"`
	DryRun          bool `yaml:"dry-run" json:"dry_run,omitempty"`
	PreserveOnError bool `yaml:"preserve-on-error" json:"preserve_on_error,omitempty"`
	NoReboot        bool `yaml:"no-reboot" json:"no_reboot,omitempty"`
	JSON            bool `yaml:"json" json:"json,omitempty"`

	// MinDiskBytes refuses smaller targets (default 8 GiB).
	MinDiskBytes int64 `yaml:"min-disk-bytes" json:"min_disk_bytes,omitempty"`

	// Origin says, per field name (the yaml key), where its value came from:
	// "default", "config /etc/altcos/installer.d/10-x.yaml", "kernel argument
	// altcos.inst.install_dev", "flag --ignition-url", "prompt", "live medium".
	Origin map[string]string `yaml:"-" json:"origin,omitempty"`
	// Warnings are settings accepted but not honoured as asked (a kernel
	// argument of Fedora CoreOS this installer does differently).
	Warnings []string `yaml:"-" json:"warnings,omitempty"`
}
