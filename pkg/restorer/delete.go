package restorer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// pendingDelete is a restored directory to clean up once its content is
// restored (Options.Delete): keep are the names its tree has.
type pendingDelete struct {
	dir  string
	keep map[string]bool
}

// treeNames returns the names in t, valid or not, selected or not: an
// entry of one of these names is the snapshot's, never deleted.
func treeNames(t *format.Tree) map[string]bool {
	names := make(map[string]bool, len(t.Nodes))
	for _, n := range t.Nodes {
		names[n.Name] = true
	}
	return names
}

// runDeletes removes, from every restored directory, the entries the
// snapshot lacks that the patterns select, after the content is written
// and before directory metadata (which deleting would change) is applied.
// In a dry run it only reports them. Failures are reported and skipped.
func (rs *restorer) runDeletes(ctx context.Context) error {
	if rs.noDelete || rs.root == nil {
		return nil
	}
	for _, pd := range rs.deletes {
		if err := ctx.Err(); err != nil {
			return err
		}
		rs.deleteIn(pd)
	}
	return nil
}

func (rs *restorer) deleteIn(pd pendingDelete) {
	names, err := rs.root.Names(pd.dir)
	if errors.Is(err, os.ErrNotExist) {
		return // a dry run's directory that is not there yet
	}
	if err != nil {
		rs.fail.add(pd.dir, fmt.Errorf("delete what the snapshot lacks: %w", err))
		return
	}
	d, err := rs.root.Dir(pd.dir)
	if err != nil {
		rs.fail.add(pd.dir, fmt.Errorf("delete what the snapshot lacks: %w", err))
		return
	}
	defer d.Close()
	for _, name := range names {
		// A partial file of this restore stays beside its real name.
		if pd.keep[name] || pd.keep[strings.TrimSuffix(name, PartialSuffix)] {
			continue
		}
		rel := join(pd.dir, name)
		if sel, _ := rs.sel.selected("/"+rel, false); !sel {
			continue
		}
		visit := func(sub string) {
			rs.count(func(st *Stats) { st.Deleted++ })
			rs.item(Item{Action: Deleted, Path: rs.root.Abs(join(pd.dir, sub))})
		}
		remove := d.RemoveAll
		if rs.opts.DryRun {
			remove = d.WalkAll
		}
		if err := remove(name, visit); err != nil {
			rs.fail.add(rel, fmt.Errorf("delete, as the snapshot lacks it: %w", err))
		}
	}
}
