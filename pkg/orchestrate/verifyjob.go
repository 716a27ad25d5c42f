package orchestrate

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/drydock-backup/drydock/pkg/checker"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/verify"
)

// verify checks the repository (structure, and a read-data subset if
// configured) under an exclusive lock, as restic's check, then restores
// the job's latest snapshot of each path set into a scratch directory and
// compares it with the snapshot's content hashes.
func (x *run) verify(ctx context.Context, r *repo.Repository) error {
	vc := x.job.Verify
	if vc.ReadDataSubset != "" || vc.RestoreTest {
		if err := x.check(ctx, r, vc.ReadDataSubset); err != nil {
			return err
		}
	}
	if err := x.restoreTest(ctx, r); err != nil {
		return err
	}
	if !vc.Boot {
		return nil
	}
	return x.drills(ctx, r)
}

// restoreTest restores the job's latest snapshot of each path set into a
// scratch directory and compares it with the snapshot's content hashes.
func (x *run) restoreTest(ctx context.Context, r *repo.Repository) error {
	if !x.job.Verify.RestoreTest {
		return nil
	}
	gate := x.d.gate(x.job.Repository)
	gate.RLock()
	defer gate.RUnlock()
	return lockedLoading(ctx, r, func(ctx context.Context, sns []repo.Snapshot) error {
		return x.restoreLatest(ctx, r, sns)
	})
}

// restoreLatest test-restores the job's latest snapshot of each path set
// among sns.
func (x *run) restoreLatest(ctx context.Context, r *repo.Repository, sns []repo.Snapshot) error {
	latest := latestPerPaths(x.ownSnapshots(sns))
	if len(latest) == 0 {
		// The repository was checked; there is just nothing of this job
		// to restore yet (its first backup has not run).
		x.d.log.Info("no snapshot of the job yet: nothing to test-restore", "job", x.name)
		return nil
	}
	scratch := filepath.Join(x.cfg.StateDir, "verify")
	for _, sn := range latest {
		rep, err := verify.RestoreTest(ctx, r, *sn.Tree, scratch, verify.Options{Logger: x.d.log})
		if err != nil {
			return fmt.Errorf("test restore of snapshot %s (%s): %w", sn.ID.Str(), strings.Join(sn.Paths, ", "), err)
		}
		x.res.Restored++
		x.res.Files += uint64(rep.Files)
		x.res.BytesRead += rep.Bytes
		x.d.log.Info("test restore matched the snapshot", "job", x.name, "snapshot", sn.ID.Str(), "files", rep.Files, "bytes", rep.Bytes)
	}
	return nil
}

func (x *run) check(ctx context.Context, r *repo.Repository, subset string) error {
	gate := x.d.gate(x.job.Repository)
	gate.Lock()
	defer gate.Unlock()
	var rep *checker.Report
	err := r.WithLock(ctx, repo.LockMode{Exclusive: true}, func(ctx context.Context, _ *repo.Lock) (err error) {
		if rep, err = checker.Check(ctx, r, checker.Options{ReadDataSubset: subset}); err != nil {
			return fmt.Errorf("check: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	x.res.Checked = true
	if !rep.OK() {
		return fmt.Errorf("check found %d errors in the repository, first: %w (run drydock check for all)", len(rep.Errors), rep.Errors[0])
	}
	if !rep.Complete() {
		return fmt.Errorf("check incomplete: %d packs could not be read, so were not verified (first: %w)", len(rep.Unread), rep.Unread[0])
	}
	return nil
}

// ownSnapshots are the snapshots this job wrote from this host.
func (x *run) ownSnapshots(sns []repo.Snapshot) []repo.Snapshot {
	var out []repo.Snapshot
	for _, sn := range sns {
		if sn.Hostname == x.host() && slices.Contains(sn.Tags, jobTag(x.name)) && sn.Tree != nil {
			out = append(out, sn)
		}
	}
	return out
}

// latestPerPaths keeps the newest snapshot of each set of paths (each app
// of a volumes job has its own).
func latestPerPaths(sns []repo.Snapshot) []repo.Snapshot {
	latest := map[string]repo.Snapshot{}
	for _, sn := range sns {
		key := strings.Join(sn.Paths, "\x00")
		if cur, ok := latest[key]; !ok || sn.Time.After(cur.Time) {
			latest[key] = sn
		}
	}
	out := make([]repo.Snapshot, 0, len(latest))
	for _, sn := range latest {
		out = append(out, sn)
	}
	slices.SortFunc(out, func(a, b repo.Snapshot) int { return strings.Compare(a.ID.String(), b.ID.String()) })
	return out
}
