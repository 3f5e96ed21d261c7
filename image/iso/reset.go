package iso

import "context"

// Reset is `iso reset`: every customization dropped, the live menus and the
// build record as built. Its Inspect reads the same as the built ISO's.
func Reset(ctx context.Context, o EditOptions) error {
	in, err := Inspect(o.Input)
	if err != nil {
		return err
	}
	return rewrite(ctx, o, builtInfo(in.Info), nil, customFiles(in.Customization))
}
