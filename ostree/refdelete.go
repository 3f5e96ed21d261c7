package ostree

import "context"

// DeleteRef removes ref (`ostree refs --delete REF`); the commits stay.
func (r *Repo) DeleteRef(ctx context.Context, ref string) error {
	_, err := r.output(ctx, "refs", "--delete", ref)
	return err
}
