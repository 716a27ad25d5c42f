// Package restorer writes a snapshot's tree back to a directory: content,
// hardlink groups, and metadata (owner, mode, xattrs, times) as restic's
// restore does. Content is written pack by pack (see content.go), several
// packs at once; directory metadata is applied last, deepest first, so that
// writing their children does not change their times again.
//
// A snapshot is untrusted input. Every tree is validated before anything
// in it is created (names that are empty, "." or "..", hold a '/' or
// appear twice are skipped), and every file system call resolves beneath
// the target without following a symlink (fsnode.Root): a crafted
// snapshot, or symlinks left in the target by an earlier restore, cannot
// make a restore touch anything outside the target.
//
// Damage does not stop a restore: an entry that cannot be restored (its
// tree unreadable, a blob missing or corrupt, a write that failed) is
// reported as a Failure and the rest is restored; a file restored only in
// part is kept as NAME+PartialSuffix, never under its real name.
package restorer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"runtime"
	"strings"
	"sync"

	"github.com/drydock-backup/drydock/pkg/fsnode"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// Options tune a restore. The zero value means defaults.
type Options struct {
	// Include, if not empty, restores only entries whose snapshot path
	// matches one of these patterns (path.Match on the path or on any of
	// its parent directories), and the directories leading to them.
	Include []string
	Files   int // packs read and written at once; 0 means defaultFiles()
	Logger  *slog.Logger
	// Failed, if set, is called for every entry that cannot be restored
	// fully, as soon as that is known: from any goroutine, but one call
	// at a time.
	Failed func(Failure)
	// Warned, if set, is called (like Failed) for an entry restored
	// whole but without some of its metadata: without root, xattrs only
	// root may set (an *fsnode.XattrsNotPermittedError), once per entry.
	// The restore still succeeds. If nil, the Logger warns.
	Warned func(Failure)
	// Progress, if set, is called with the running totals after each
	// entry, from any goroutine: keep it cheap.
	Progress func(Stats)
	// Planned, if set, is called once every tree was read, before any
	// content is written, with the planned totals; an error from it ends
	// the restore there.
	Planned func(Stats) error
}

// defaultFiles is how many packs are read and written at once: one per
// core, at least 4 (enough requests in flight to hide a remote backend's
// latency, as check's downloads) and at most 8. Each holds a sealed and an
// opened blob of up to 8 MiB and two direct-read buffers: on 2 cores, 4
// packs in flight restored the 2 GB benchmark as fast as 8 did (4.19-4.81 s
// against 3.94-4.84 s, 12 and 10 restores, alternating) and peaked at
// 159-170 MiB instead of 206-233 MiB.
func defaultFiles() int {
	return max(4, min(runtime.GOMAXPROCS(0), 8))
}

// Stats count what was restored.
type Stats struct {
	Files, Dirs, Links, Other int
	Bytes                     uint64 // content of the restored Files
	Failed                    int    // entries not restored fully (see Failure)
	// PlannedFiles and PlannedBytes are the files and content to restore,
	// known once every tree was read (zero until then); Written is the
	// content written so far, files still in progress included. Together
	// they give a progress display its fraction done.
	PlannedFiles int
	PlannedBytes uint64
	Written      uint64
}

type restorer struct {
	r    *repo.Repository
	root *fsnode.Root
	opts Options
	plan *contentPlan
	fail *failures

	dirs  fsnode.DirQueue      // metadata applied at the end, deepest first
	hard  fsnode.HardlinkIndex // first path of each hardlink group
	mu    sync.Mutex
	stats Stats
	links [][2]string // (existing, new) hardlinks to make after all files
}

// Restore writes the tree with ID root below target, which is created if
// needed. Entries that cannot be restored are skipped and reported (see
// Options.Failed); the error then wraps ErrIncomplete (an
// *IncompleteError), after everything else was restored. Any other error
// (a cancelled context, an unusable target) ends the restore early.
func Restore(ctx context.Context, r *repo.Repository, root format.ID, target string, opts Options) (Stats, error) {
	if opts.Files == 0 {
		opts.Files = defaultFiles()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	for _, pat := range opts.Include {
		if _, err := path.Match(pat, "/"); err != nil {
			return Stats{}, fmt.Errorf("include pattern %q: %w", pat, err)
		}
	}
	rt, err := fsnode.OpenRoot(target)
	if err != nil {
		return Stats{}, fmt.Errorf("restore target: %w", err)
	}
	defer rt.Close()
	fail := &failures{report: opts.Failed, warned: opts.Warned}
	if fail.warned == nil {
		fail.warned = func(f Failure) { opts.Logger.Warn("metadata not restored", "path", f.Path, "err", f.Err) }
	}
	rs := &restorer{r: r, root: rt, opts: opts, fail: fail, plan: newContentPlan(r.Index(), rt, fail, opts.Logger)}
	rs.plan.wrote = rs.wrote
	if err := rs.walk(ctx, root, "", len(opts.Include) == 0); err != nil {
		rs.plan.closeAll()
		return rs.result(), err
	}
	rs.count(func(st *Stats) { st.PlannedFiles, st.PlannedBytes = rs.plan.files, uint64(rs.plan.bytes) })
	if opts.Planned != nil {
		if err := opts.Planned(rs.result()); err != nil {
			rs.plan.closeAll()
			return rs.result(), err
		}
	}
	if err := rs.plan.run(ctx, r, opts.Files, rs.fileDone); err != nil {
		return rs.result(), err
	}
	rs.makeLinks()
	_ = rs.dirs.Apply(rs.applyDir) // applyDir reports its failures itself
	return rs.result(), fail.result()
}

func (rs *restorer) result() Stats {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	st := rs.stats
	st.Failed = rs.fail.count()
	return st
}

// selected reports whether the entry at snapshot path p is to be restored
// itself (all of it) or only partly, because something below it is.
func (rs *restorer) selected(p string, isDir bool) (whole, partly bool) {
	for _, pat := range rs.opts.Include {
		for q := p; q != "/"; q = path.Dir(q) {
			if ok, _ := path.Match(pat, q); ok {
				return true, false
			}
		}
		// A directory that is a prefix of a pattern may hold matches.
		if isDir && strings.HasPrefix(pat, p+"/") {
			partly = true
		}
	}
	return false, partly
}

// join returns the path of name in the directory rel ("" is the root).
func join(rel, name string) string {
	if rel == "" {
		return name
	}
	return rel + "/" + name
}

// validNodes returns the nodes of a tree that may be restored: a name that
// is invalid or appears more than once is reported and skipped, all its
// entries, since none of them can be trusted to be the one meant.
func (rs *restorer) validNodes(t *format.Tree, dir string) []*format.Node {
	seen := make(map[string]int, len(t.Nodes))
	for _, n := range t.Nodes {
		seen[n.Name]++
	}
	nodes := make([]*format.Node, 0, len(t.Nodes))
	for _, n := range t.Nodes {
		rel := join(dir, format.QuoteName(n.Name))
		if err := format.ValidateName(n.Name); err != nil {
			rs.fail.add(rel, fmt.Errorf("skipped: %w", err))
			continue
		}
		switch c := seen[n.Name]; {
		case c == 1:
			nodes = append(nodes, n)
		case c > 1:
			rs.fail.add(rel, fmt.Errorf("skipped: %w: %d entries of this name", format.ErrDuplicateName, c))
			seen[n.Name] = 0 // reported once; its other entries are skipped silently
		}
	}
	return nodes
}

// walk restores the entries of a tree into the directory dir; all means
// everything below dir is included. Damage is reported and skipped; only
// a cancelled context is returned.
func (rs *restorer) walk(ctx context.Context, tree format.ID, dir string, all bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t, err := rs.r.LoadTree(ctx, tree)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rs.fail.add(dir, fmt.Errorf("directory content not restored: %w", err))
		return nil
	}
	d, err := rs.root.Dir(dir)
	if err != nil {
		rs.fail.add(dir, fmt.Errorf("directory content not restored: %w", err))
		return nil
	}
	var subdirs []*format.Node
	var wholeDirs []bool
	for _, n := range rs.validNodes(t, dir) {
		p := "/" + join(dir, n.Name)
		whole, partly := all, false
		if !all {
			whole, partly = rs.selected(p, n.Type == format.NodeDir)
		}
		if !whole && !partly {
			continue
		}
		if rs.restoreNode(d, join(dir, n.Name), n) {
			subdirs, wholeDirs = append(subdirs, n), append(wholeDirs, whole)
		}
	}
	d.Close() // before descending: open directories would grow with depth
	for i, n := range subdirs {
		if err := rs.walk(ctx, *n.Subtree, join(dir, n.Name), wholeDirs[i]); err != nil {
			return err
		}
	}
	return nil
}

// restoreNode creates the entry rel in d, or plans its content; it reports
// whether rel is a directory to descend into.
func (rs *restorer) restoreNode(d *fsnode.Dir, rel string, n *format.Node) (descend bool) {
	_, name := path.Split(rel)
	switch n.Type {
	case format.NodeDir:
		if n.Subtree == nil {
			rs.fail.add(rel, errors.New("skipped: directory without subtree"))
			return false
		}
		if err := d.Mkdir(name); err != nil {
			rs.fail.add(rel, err)
			return false
		}
		rs.dirs.Add(rel, n)
		rs.count(func(st *Stats) { st.Dirs++ })
		return true
	case format.NodeFile:
		first, link, other := rs.hard.Claim(n, rel)
		if link {
			rs.mu.Lock()
			rs.links = append(rs.links, [2]string{first, rel})
			rs.mu.Unlock()
			return false
		}
		if other != "" {
			// Written with its own content, as a file of its own; later
			// names with that content are linked to it.
			rs.fail.note(rel, fmt.Errorf("not hardlinked to /%s as the snapshot says: it gives the two names of one inode different content; "+
				"restored with its own content", other))
		}
		rs.plan.add(rel, n, rs.fileDone)
	default:
		err := d.CreateSpecial(name, n)
		if err == nil {
			err = rs.fail.metadata(rel, d.ApplyMetadata(name, n))
		}
		if err != nil {
			rs.fail.add(rel, err)
			return false
		}
		rs.count(func(st *Stats) { st.Other++ })
	}
	return false
}

func (rs *restorer) count(f func(*Stats)) {
	rs.mu.Lock()
	f(&rs.stats)
	st := rs.stats
	rs.mu.Unlock()
	if rs.opts.Progress != nil {
		rs.opts.Progress(st)
	}
}

// fileDone counts a file whose content and metadata are written.
func (rs *restorer) fileDone(fs *fileState) {
	rs.count(func(st *Stats) {
		st.Files++
		st.Bytes += uint64(fs.size)
	})
}

// wrote counts n bytes of content written.
func (rs *restorer) wrote(n int) {
	rs.count(func(st *Stats) { st.Written += uint64(n) })
}

// makeLinks makes the hardlinks once every file exists; a link to a file
// that could not be restored is not made (it would share wrong content).
func (rs *restorer) makeLinks() {
	for _, l := range rs.links {
		if rs.fail.failed(l[0]) {
			rs.fail.add(l[1], fmt.Errorf("hardlink not made: /%s could not be restored", l[0]))
			continue
		}
		if err := rs.root.Link(l[0], l[1]); err != nil {
			rs.fail.add(l[1], fmt.Errorf("hardlink to /%s: %w", l[0], err))
			continue
		}
		rs.count(func(st *Stats) { st.Links++ })
	}
}

// applyDir sets the metadata of the restored directory rel; a failure is
// reported, not returned, so that every other directory is still done.
func (rs *restorer) applyDir(rel string, n *format.Node) error {
	f, err := rs.root.OpenDirectory(rel)
	if err == nil {
		err = rs.fail.metadata(rel, fsnode.ApplyMetadataFile(f, n))
		f.Close()
	}
	if err != nil {
		rs.fail.add(rel, err)
	}
	return nil
}
