package restorer

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sync/errgroup"
)

// ErrVerify is wrapped by the error of a restore whose files, read back
// (Options.Verify), do not all hold the snapshot's content.
var ErrVerify = errors.New("restored files differ from the snapshot")

// verifyWorkers bounds the files read back at once.
const verifyWorkers = 8

// verify reads back every file whose content this restore wrote and
// checks it blob by blob; each difference is reported as a Failure.
func (rs *restorer) verify(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(verifyWorkers)
	var mu sync.Mutex
	var bad []Failure
	for _, fs := range rs.written {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			if err := rs.checkContent(fs.rel, fs.node); err != nil {
				f := Failure{Path: "/" + fs.rel, Err: fmt.Errorf("verify: %w", err)}
				mu.Lock()
				bad = append(bad, f)
				mu.Unlock()
				rs.fail.add(fs.rel, f.Err)
				return nil
			}
			rs.count(func(st *Stats) { st.Verified++ })
			return gctx.Err()
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	switch len(bad) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("%w: %v", ErrVerify, bad[0])
	}
	return fmt.Errorf("%w: %d files, the first: %v", ErrVerify, len(bad), bad[0])
}
