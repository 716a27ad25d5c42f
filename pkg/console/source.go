package console

import (
	"context"
	"errors"
	"log/slog"
	"path"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/snaptree"
)

// source is one repository the console serves. Pages and the API read it
// through the same methods, so both show the same.
type source struct {
	name string
	r    *repo.Repository
	log  *slog.Logger

	mu      sync.Mutex // one index load or refresh at a time
	indexed bool
	snaps   snapshotCache
	// locks are the stale locks as the overview last looked.
	locks *refreshed[[]repo.StaleLock]
	// listing is set while a listing for the overview's count runs.
	listing atomic.Bool
}

// read runs fn under a shared lock, as drydock ls and dump read. The lock
// starts early (no 200 ms wait): reading commits nothing, so a conflict
// found by the lock's second check only cancels fn. The index is brought
// up to date in the lock's wait, so each request sees what is on storage.
func (src *source) read(ctx context.Context, fn func(ctx context.Context) error) error {
	mode := repo.LockMode{Early: true, Load: src.loadIndex}
	return src.r.WithLock(ctx, mode, func(ctx context.Context, _ *repo.Lock) error { return fn(ctx) })
}

// prefetch loads the index and the snapshots, as the first page would.
func (src *source) prefetch(ctx context.Context) {
	err := src.read(ctx, func(ctx context.Context) error {
		_, _, err := src.allSnapshots(ctx)
		return err
	})
	if err != nil && ctx.Err() == nil {
		src.log.Warn("console: reading the repository ahead of the first page failed; pages read it when asked", "repository", src.name, "err", err)
	}
}

// loadIndex reads the index the first time and only what changed after.
func (src *source) loadIndex(ctx context.Context) error {
	src.mu.Lock()
	defer src.mu.Unlock()
	if !src.indexed {
		if err := src.r.LoadIndex(ctx); err != nil {
			return err
		}
		src.indexed = true
		return nil
	}
	_, err := src.r.Refresh(ctx)
	return err
}

// selector picks snapshots: a retention.Filter, or the snapshots page's
// filter with its time range.
type selector interface {
	Select([]repo.Snapshot) []repo.Snapshot
}

// snapshots returns the snapshots f keeps, oldest first. A damaged
// snapshot file does not hide the others (as drydock snapshots); it is
// logged.
func (src *source) snapshots(ctx context.Context, f selector) ([]repo.Snapshot, error) {
	all, _, err := src.allSnapshots(ctx)
	if err != nil {
		return nil, err
	}
	return f.Select(all), nil
}

func (src *source) allSnapshots(ctx context.Context) ([]repo.Snapshot, *repo.DamagedSnapshotsError, error) {
	all, dmg, err := src.snaps.snapshots(ctx, src.r)
	if dmg != nil {
		for _, d := range dmg.Damaged {
			src.log.Warn("skipping snapshot, it cannot be read", "repository", src.name, "snapshot", d.ID.Str(), "err", d.Err)
		}
	}
	return all, dmg, err
}

// snapshot resolves ref as drydock's commands do: "latest", a full ID or
// a unique prefix of one.
func (src *source) snapshot(ctx context.Context, ref string) (repo.Snapshot, error) {
	if ref != "latest" && !isHex(ref) {
		return repo.Snapshot{}, badRequest("snapshot %q: want an ID, a unique prefix of one, or latest", ref)
	}
	sn, err := src.findSnapshot(ctx, ref)
	if err != nil {
		return repo.Snapshot{}, err
	}
	if sn.Tree == nil {
		return repo.Snapshot{}, errors.New("snapshot " + sn.ID.Str() + " has no tree")
	}
	return sn, nil
}

// findSnapshot is repo.FindSnapshotAmong, without listing the snapshot
// files for a full ID: the pages link with full IDs.
func (src *source) findSnapshot(ctx context.Context, ref string) (repo.Snapshot, error) {
	if id, err := format.ParseID(ref); err == nil {
		if sn, ok := src.snaps.cached(id); ok {
			return sn, nil
		}
		// A link followed into a console just started: read that one
		// snapshot, not all of them.
		if sn, err := src.r.LoadSnapshot(ctx, id); err == nil {
			src.snaps.put(sn)
			return sn, nil
		}
	}
	all, dmg, err := src.allSnapshots(ctx)
	if err != nil {
		return repo.Snapshot{}, err
	}
	return repo.FindSnapshotAmong(all, dmg, ref)
}

func isHex(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// folder is one page of a directory's entries.
type folder struct {
	Path   string         // cleaned, absolute in the snapshot
	Nodes  []*format.Node // the page, in tree (name) order
	Total  int            // entries in the directory
	Offset int
	Limit  int
}

// lookup returns the node at p of snapshot sn ("/" is its root).
func (src *source) lookup(ctx context.Context, sn repo.Snapshot, p string) (*format.Node, error) {
	return snaptree.Lookup(ctx, src.r, *sn.Tree, p)
}

// list returns the entries offset..offset+limit of the directory node
// dir, at path p. Only dir's own tree is decoded (or taken from the
// cache), whatever its size.
func (src *source) list(ctx context.Context, dir *format.Node, p string, offset, limit int) (folder, error) {
	if dir.Type != format.NodeDir || dir.Subtree == nil {
		return folder{}, badRequest("%s is a %s, not a directory: download it instead", p, dir.Type)
	}
	t, err := src.r.LoadTreeCached(ctx, *dir.Subtree)
	if err != nil {
		return folder{}, err
	}
	total := len(t.Nodes)
	lo := min(offset, total)
	hi := min(lo+limit, total)
	return folder{Path: p, Nodes: t.Nodes[lo:hi], Total: total, Offset: offset, Limit: limit}, nil
}

// cleanPath makes the {path...} of a URL an absolute path in a snapshot:
// "." and ".." segments, empty ones and a trailing slash are resolved
// lexically, so that none can leave the snapshot's root.
func cleanPath(p string) (string, error) {
	if strings.ContainsRune(p, 0) {
		return "", badRequest("path contains a NUL byte")
	}
	return path.Clean("/" + p), nil
}
