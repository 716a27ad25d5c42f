package main

import (
	"context"

	"github.com/drydock-backup/drydock/pkg/repo"
)

// withRepository opens the repository and runs fn without a lock, for the
// few reads a lock would disturb or does not protect: the lock files
// themselves (a lock of ours would be among them), the config and keys,
// which nothing but key commands change.
func (g *globalOptions) withRepository(ctx context.Context, fn func(ctx context.Context, r *repo.Repository) error) error {
	r, err := g.openRepository(ctx)
	if err != nil {
		return err
	}
	defer r.Backend().Close()
	return fn(ctx, r)
}
