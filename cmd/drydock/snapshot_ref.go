package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/retention"
)

// loadSnapshot loads the index and resolves ref ("latest", an ID or a
// unique prefix) to a snapshot, for the commands that read one. Damaged
// snapshot files are skipped without a warning unless ref names one;
// loadSnapshotWarn also warns.
func loadSnapshot(ctx context.Context, r *repo.Repository, ref string) (repo.Snapshot, error) {
	return loadSnapshotWarn(ctx, r, nil, ref)
}

// loadSnapshotWarn is loadSnapshot that reports each damaged snapshot file
// on g's stderr (if g is not nil).
func loadSnapshotWarn(ctx context.Context, r *repo.Repository, g *globalOptions, ref string) (repo.Snapshot, error) {
	if err := r.LoadIndex(ctx); err != nil {
		return repo.Snapshot{}, err
	}
	sns, dmg, err := readableSnapshots(ctx, r, g)
	if err != nil {
		return repo.Snapshot{}, err
	}
	return repo.FindSnapshotAmong(sns, dmg, ref)
}

// findFilteredSnapshotWarn loads the index and resolves ref among the
// snapshots that f keeps, warning on g's stderr (if g is not nil) about
// each damaged snapshot file it skipped.
func findFilteredSnapshotWarn(ctx context.Context, r *repo.Repository, g *globalOptions, ref string, f retention.Filter) (repo.Snapshot, error) {
	if err := r.LoadIndex(ctx); err != nil {
		return repo.Snapshot{}, err
	}
	sns, dmg, err := readableSnapshots(ctx, r, g)
	if err != nil {
		return repo.Snapshot{}, err
	}
	sn, err := repo.FindSnapshotAmong(f.Select(sns), dmg, ref)
	if err != nil && !f.Empty() {
		return sn, fmt.Errorf("%w (among snapshots with %s)", err, f)
	}
	return sn, err
}

// readableSnapshots loads the snapshots for a command that only reads
// them: a damaged snapshot file is reported on stderr, once, and skipped,
// as restic does, so that it does not hide the intact ones. The command
// still exits 0 if it succeeds otherwise (restic 0.14's exit code); the
// warning is what makes the skip visible. dmg is nil if nothing was
// skipped. Commands that delete must not use this.
func readableSnapshots(ctx context.Context, r *repo.Repository, g *globalOptions) (sns []repo.Snapshot, dmg *repo.DamagedSnapshotsError, err error) {
	sns, err = r.Snapshots(ctx)
	if errors.As(err, &dmg) {
		warnDamagedSnapshots(g, dmg)
		return sns, dmg, nil
	}
	return sns, nil, err
}

// warnDamagedSnapshots prints one warning per damaged snapshot file; g may
// be nil for callers that have nowhere to print.
func warnDamagedSnapshots(g *globalOptions, dmg *repo.DamagedSnapshotsError) {
	if g == nil {
		return
	}
	for _, d := range dmg.Damaged {
		fmt.Fprintf(g.stderr, "warning: skipping snapshot %s, it cannot be read: %v\n", d.ID.Str(), d.Err)
	}
}
