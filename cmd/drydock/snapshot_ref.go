package main

import (
	"context"
	"errors"
	"fmt"

	"strings"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/retention"
	"github.com/drydock-backup/drydock/pkg/snaptree"
)

// The one place the commands that read snapshots resolve what the user
// named. Commands that delete (forget, prune) do not use it: they refuse
// to act while a snapshot cannot be read.

// findSnapshot loads the index and resolves ref ("latest", an ID or a
// unique prefix) among the snapshots f keeps; damaged snapshot files are
// reported on g's stderr and skipped (see readableSnapshots), except that
// "latest" fails while one cannot be read (repo.DamagedSnapshotsError.LatestUnknown).
func findSnapshot(ctx context.Context, r *repo.Repository, g *globalOptions, ref string, f retention.Filter) (repo.Snapshot, error) {
	sns, err := selectTrees(ctx, r, g, []string{ref}, f)
	if err != nil {
		return repo.Snapshot{}, err
	}
	return sns[0], nil
}

// findSnapshotDir resolves restic's "SNAPSHOT[:SUBFOLDER]" (restore, ls):
// the snapshot and the tree of SUBFOLDER in it, its root tree without one.
func findSnapshotDir(ctx context.Context, r *repo.Repository, g *globalOptions, arg string, f retention.Filter) (repo.Snapshot, format.ID, error) {
	ref, subfolder, _ := strings.Cut(arg, ":")
	sn, err := findSnapshot(ctx, r, g, ref, f)
	if err != nil {
		return sn, format.ID{}, err
	}
	if subfolder == "" {
		return sn, *sn.Tree, nil
	}
	n, err := snaptree.LookupDir(ctx, r, *sn.Tree, subfolder)
	if err != nil {
		return sn, format.ID{}, fmt.Errorf("snapshot %s: subfolder %w", sn.ID.Str(), err)
	}
	return sn, *n.Subtree, nil
}

// selectTrees is selectSnapshots for commands that read the snapshots'
// trees: it loads the index first.
func selectTrees(ctx context.Context, r *repo.Repository, g *globalOptions, refs []string, f retention.Filter) ([]repo.Snapshot, error) {
	if err := r.LoadIndex(ctx); err != nil {
		return nil, err
	}
	return selectSnapshots(ctx, r, g, refs, f)
}

// latestCandidates loads the index and every snapshot, for a command that
// picks its own "latest" among them (of a volume, of an app): like
// "latest", it fails while a snapshot file cannot be read.
func latestCandidates(ctx context.Context, r *repo.Repository) ([]repo.Snapshot, error) {
	if err := r.LoadIndex(ctx); err != nil {
		return nil, err
	}
	sns, dmg, err := readableSnapshots(ctx, r)
	if err != nil {
		return nil, err
	}
	if err := dmg.LatestUnknown(); err != nil {
		return nil, err
	}
	return sns, nil
}

// selectSnapshots returns the snapshots refs name, resolved among those f
// keeps, or every snapshot f keeps if refs is empty; oldest first.
func selectSnapshots(ctx context.Context, r *repo.Repository, g *globalOptions, refs []string, f retention.Filter) ([]repo.Snapshot, error) {
	all, dmg, err := readableSnapshots(ctx, r)
	if err != nil {
		return nil, err
	}
	kept := f.Select(all)
	out := make([]repo.Snapshot, 0, len(refs))
	for _, ref := range refs {
		sn, err := repo.FindSnapshotAmong(kept, dmg, ref)
		if err != nil && !f.Empty() {
			return nil, fmt.Errorf("%w (among snapshots with %s)", err, f)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, sn)
	}
	if dmg != nil {
		warnDamagedSnapshots(g, dmg)
	}
	if len(refs) == 0 {
		return kept, nil
	}
	return out, nil
}

// readableSnapshots loads the snapshots for a command that only reads
// them: a damaged snapshot file does not hide the intact ones, as in
// restic. The caller warns once it skips the damaged files (see
// warnDamagedSnapshots): the command still exits 0 if it succeeds
// otherwise (restic 0.14's exit code), and the warning is what makes the
// skip visible. dmg is nil if no file is damaged.
func readableSnapshots(ctx context.Context, r *repo.Repository) (sns []repo.Snapshot, dmg *repo.DamagedSnapshotsError, err error) {
	sns, err = r.Snapshots(ctx)
	if errors.As(err, &dmg) {
		return sns, dmg, nil
	}
	return sns, nil, err
}

// warnDamagedSnapshots prints one warning per damaged snapshot file.
func warnDamagedSnapshots(g *globalOptions, dmg *repo.DamagedSnapshotsError) {
	for _, d := range dmg.Damaged {
		fmt.Fprintf(g.stderr, "warning: skipping snapshot %s, it cannot be read: %v\n", d.ID.Str(), d.Err)
	}
}
