package verify

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/restorer"
)

// MaxMismatches is how many mismatches a Report keeps; MismatchCount counts
// them all. A restore that differs everywhere would otherwise hold one
// message per file in memory.
const MaxMismatches = 100

// Options tune RestoreTest. The zero value means defaults.
type Options struct {
	Files  int          // packs restored and files hashed at once; 0 means the restorer's default and 8
	Logger *slog.Logger // nil discards

	// afterRestore runs between the restore and the comparison, with the
	// restore directory: tests damage restored files there.
	afterRestore func(dir string) error
}

func (o Options) withDefaults() Options {
	if o.Files <= 0 {
		o.Files = 8
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Report is what RestoreTest verified. Counts are of entries that matched.
type Report struct {
	Tree     format.ID `json:"tree"`
	Files    int       `json:"files"` // regular files, each name of a hardlink group
	Dirs     int       `json:"dirs"`
	Symlinks int       `json:"symlinks"`
	Other    int       `json:"other"` // fifos and device nodes
	Bytes    uint64    `json:"bytes"` // file content hashed
	// Blobs counts content ranges whose SHA-256 was their blob ID; a blob
	// that several files share counts once per file.
	Blobs         int `json:"blobs"`
	MismatchCount int `json:"mismatch_count"`
	// Mismatches holds the first MaxMismatches found, data before
	// metadata (a changed directory mtime is usually the echo of a changed
	// entry in it), each by path.
	Mismatches []*Mismatch   `json:"mismatches,omitempty"`
	Restore    time.Duration `json:"restore_ns"`
	Compare    time.Duration `json:"compare_ns"`
}

// OK reports whether the restore matched the snapshot everywhere.
func (r *Report) OK() bool { return r.MismatchCount == 0 }

// RestoreTest restores the tree with ID tree (a snapshot's root tree) into
// a new directory below scratch (created if needed) and compares the result
// with the snapshot, as the package comment describes. The restore is
// removed afterwards, whatever happens. The caller holds a lock that keeps
// prune away (a non-exclusive one suffices) and has loaded the index.
//
// The error is nil only if everything matched. Differences make it wrap
// ErrMismatch and the first *Mismatch; a restore that failed (a damaged
// blob, a missing pack) or could not be read back is returned as such, and
// the Report then holds what was verified until then.
func RestoreTest(ctx context.Context, r *repo.Repository, tree format.ID, scratch string, opts Options) (rep Report, err error) {
	restoreOpts := restorer.Options{Files: opts.Files, Logger: opts.Logger} // 0 and nil: the restorer's defaults
	opts = opts.withDefaults()
	rep.Tree = tree
	if err := os.MkdirAll(scratch, 0o700); err != nil {
		return rep, fmt.Errorf("scratch directory: %w", err)
	}
	dir, err := os.MkdirTemp(scratch, "drydock-verify-")
	if err != nil {
		return rep, fmt.Errorf("scratch directory: %w", err)
	}
	defer func() {
		if rerr := removeTree(dir); rerr != nil {
			err = errors.Join(err, fmt.Errorf("remove the scratch restore %s: %w", dir, rerr))
		}
	}()
	start := time.Now()
	st, err := restorer.Restore(ctx, r, tree, dir, restoreOpts)
	rep.Restore = time.Since(start)
	if err != nil {
		return rep, fmt.Errorf("restore tree %v into %s: %w", tree.Str(), dir, err)
	}
	opts.Logger.Info("restored for verification", "tree", tree.Str(), "dir", dir, "files", st.Files, "bytes", st.Bytes, "took", rep.Restore)
	if opts.afterRestore != nil {
		if err := opts.afterRestore(dir); err != nil {
			return rep, err
		}
	}
	start = time.Now()
	c := &comparer{r: r, root: dir, opts: opts, hard: map[[2]uint64]hardlink{}}
	err = c.run(ctx, tree)
	rep = c.report(rep)
	rep.Compare = time.Since(start)
	if err != nil {
		return rep, fmt.Errorf("compare the restore of tree %v: %w", tree.Str(), err)
	}
	if !rep.OK() {
		what := "difference"
		if rep.MismatchCount > 1 {
			what += "s"
		}
		return rep, fmt.Errorf("%d %s between tree %v and its restore, first %w", rep.MismatchCount, what, tree.Str(), rep.Mismatches[0])
	}
	return rep, nil
}

// report returns base with the comparer's counts and sorted mismatches.
func (c *comparer) report(base Report) Report {
	c.mu.Lock()
	defer c.mu.Unlock()
	rep := c.rep
	rep.Tree, rep.Restore = base.Tree, base.Restore
	slices.SortStableFunc(rep.Mismatches, func(a, b *Mismatch) int {
		return cmp.Or(cmp.Compare(a.Kind.metadata(), b.Kind.metadata()), cmp.Compare(a.Path, b.Path))
	})
	return rep
}
