package index

import (
	"context"
	"fmt"
	"runtime"

	"golang.org/x/sync/errgroup"

	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// LoadFunc returns the JSON document of one index file: the repository
// layer reads the file, checks its name hash, opens the sealed box and
// undoes the unpacked-file encoding before handing it over.
type LoadFunc func(ctx context.Context, id format.ID) ([]byte, error)

// Load builds an index from many index files, loading and decoding up to
// GOMAXPROCS of them in parallel (the work is CPU-bound: decrypt,
// decompress, JSON). The first error cancels the rest.
func Load(ctx context.Context, ids []format.ID, version uint, load LoadFunc) (*Index, error) {
	x := New()
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, id := range ids {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			data, err := load(ctx, id)
			if err != nil {
				return fmt.Errorf("load index %v: %w", id, err)
			}
			f, err := format.DecodeIndex(data, version)
			if err != nil {
				return fmt.Errorf("index %v: %w", id, err)
			}
			if err := x.AddIndexFile(f); err != nil {
				return fmt.Errorf("index %v: %w", id, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	x.Compact()
	return x, nil
}
