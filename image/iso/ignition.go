package iso

import (
	"context"
	"fmt"

	"github.com/altcos/altcos-tools/initramfs/live"
	"github.com/altcos/altcos-tools/installer/ignition"
)

// EmbedIgnition is `iso ignition embed`: config (Ignition or Butane, named
// name in errors) becomes the installed system's Ignition config, validated
// for the OS on the ISO, as `iso customize --dest-ignition` embeds it. The
// rest of a customization stays; an ISO with none gets one that starts no
// install by itself (kernel arguments or the operator start it, and the
// live system passes the config on). force replaces a config already there.
func EmbedIgnition(ctx context.Context, o EditOptions, config []byte, name string, force bool) error {
	in, err := Inspect(o.Input)
	if err != nil {
		return err
	}
	c := &live.Customization{Format: 1}
	if in.Customization != nil {
		cc := *in.Customization
		c = &cc
	}
	if c.Ignition && !force {
		return fmt.Errorf("%s carries an Ignition config already; give --force to replace it", o.Input)
	}
	spec := ""
	if in.Manifest != nil {
		spec = in.Manifest.IgnitionSpec
	}
	cfg, err := ignition.Validate(config, spec)
	if err != nil {
		return fmt.Errorf("the Ignition config %s does not validate for the OS on %s: %w", name, o.Input, err)
	}
	c.Ignition = true
	cj, err := marshalCustomization(c)
	if err != nil {
		return err
	}
	files := []File{{Name: live.IgnitionName, Data: cfg, Mode: 0o600}, {Name: live.CustomizeName, Data: cj, Mode: 0o644}}
	return rewrite(ctx, o, in.Info, files, nil)
}

// RemoveIgnition is `iso ignition remove`: the installed system's Ignition
// config goes; so does the customization when nothing else is left of it.
// An ISO without a config is written unchanged.
func RemoveIgnition(ctx context.Context, o EditOptions) error {
	in, err := Inspect(o.Input)
	if err != nil {
		return err
	}
	c := in.Customization
	if c == nil || !c.Ignition {
		return rewrite(ctx, o, in.Info, nil, nil)
	}
	cc := *c
	cc.Ignition = false
	if cc.Empty() {
		return rewrite(ctx, o, in.Info, nil, customFiles(c))
	}
	cj, err := marshalCustomization(&cc)
	if err != nil {
		return err
	}
	return rewrite(ctx, o, in.Info, []File{{Name: live.CustomizeName, Data: cj, Mode: 0o644}}, []string{live.IgnitionName})
}
