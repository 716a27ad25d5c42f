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
	"os"
	"path"
	"runtime"
	"sync"

	"github.com/drydock-backup/drydock/pkg/fsnode"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// Options tune a restore. The zero value means defaults: everything
// restored, existing entries overwritten (restic's defaults).
type Options struct {
	// Include, if not empty, restores only entries whose snapshot path
	// matches one of these patterns (restic's --include: see pathmatch;
	// "/data/db" restores that directory and all below it, "*.conf"
	// every such file), and the directories leading to them. IInclude
	// is the same ignoring case.
	Include, IInclude []string
	// Exclude leaves out entries matching one of these patterns and all
	// below them (restic's --exclude); IExclude ignores case. Include
	// and Exclude patterns are mutually exclusive (ErrIncludeAndExclude).
	Exclude, IExclude []string
	// Overwrite says what becomes of entries already in the target.
	Overwrite Overwrite
	// Delete removes from each restored directory the entries the
	// snapshot lacks there, and what is below them; of those, only the
	// ones the patterns select. Only beneath the target, never through
	// a symlink.
	Delete bool
	// DryRun decides and reports everything (Item, Stats) as a restore
	// would, and writes and deletes nothing; not even the target is
	// created.
	DryRun bool
	// Verify reads every file written back once the restore is done and
	// checks its content against the snapshot: a difference is reported
	// (Failed) and the error wraps ErrVerify.
	Verify bool
	// Item, if set, is called for every entry restored, updated, left
	// unchanged or deleted (restic's verbose lines), one call at a time.
	Item func(Item)
	// Verifying, if set, is called with the totals once the restore is
	// done, before Verify reads the files back.
	Verifying func(Stats)

	Files  int // packs read and written at once; 0 means defaultFiles()
	Logger *slog.Logger
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
	// the restore there. A dry run does not call it.
	Planned func(Stats) error
}

// defaultFiles is how many packs are read and written at once: one per
// core, at least 4 (enough requests in flight to hide a remote backend's
// latency, as check's downloads) and at most 6. Each holds a sealed blob of
// up to 8 MiB, an opened one if compressed, and two direct-read buffers:
// on 2 cores, 4 packs in flight restored the 2 GB benchmark as fast as 8
// did (4.19-4.81 s against 3.94-4.84 s, 12 and 10 restores, alternating)
// and peaked at 159-170 MiB instead of 206-233 MiB; at GOMAXPROCS=16, 6
// instead of 8 peaked at 203-231 MiB instead of 238-258 MiB (bench/README,
// session 18). Six cores of decryption and hashing outrun the disk.
func defaultFiles() int {
	return max(4, min(runtime.GOMAXPROCS(0), 6))
}

// Stats count what was restored.
type Stats struct {
	Files, Dirs, Links, Other int
	Bytes                     uint64 // content of the restored Files
	Failed                    int    // entries not restored fully (see Failure)
	// Skipped entries were in the target already and kept (Overwrite);
	// SkippedBytes is the content of the skipped files.
	Skipped      int
	SkippedBytes uint64
	Deleted      int // entries deleted (Delete), directories' content included
	Verified     int // files read back and found right (Verify)
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
	root *fsnode.Root // nil in a dry run into a target that does not exist
	opts Options
	sel  selector
	plan *contentPlan
	fail *failures

	dirs     fsnode.DirQueue      // metadata applied at the end, deepest first
	hard     fsnode.HardlinkIndex // first path of each hardlink group
	mu       sync.Mutex
	stats    Stats
	links    [][2]string     // (existing, new) hardlinks to make after all files
	deletes  []pendingDelete // directories to clean up (Delete), deepest first
	noDelete bool            // a tree had names that cannot be trusted: delete nothing
	written  []*fileState    // files whose content was written, for Verify
	itemMu   sync.Mutex      // Options.Item is called one at a time
	progMu   sync.Mutex      // so is Options.Progress, with totals that never go back
}

// Restore writes the tree with ID root below target, which is created if
// needed. Entries that cannot be restored are skipped and reported (see
// Options.Failed); the error then wraps ErrIncomplete (an
// *IncompleteError), after everything else was restored. Any other error
// (a cancelled context, an unusable target, bad options) ends the restore
// early.
func Restore(ctx context.Context, r *repo.Repository, root format.ID, target string, opts Options) (Stats, error) {
	if opts.Files == 0 {
		opts.Files = defaultFiles()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.DryRun && opts.Verify {
		return Stats{}, errors.New("a dry run writes nothing to verify: give DryRun or Verify, not both")
	}
	sel, err := newSelector(opts)
	if err != nil {
		return Stats{}, err
	}
	rt, err := openTarget(target, opts.DryRun)
	if err != nil {
		return Stats{}, fmt.Errorf("restore target: %w", err)
	}
	if rt != nil {
		defer rt.Close()
	}
	fail := &failures{report: opts.Failed, warned: opts.Warned}
	if fail.warned == nil {
		fail.warned = func(f Failure) { opts.Logger.Warn("metadata not restored", "path", f.Path, "err", f.Err) }
	}
	rs := &restorer{r: r, root: rt, opts: opts, sel: sel, fail: fail, plan: newContentPlan(r.Index(), rt, fail, opts.Logger)}
	rs.plan.wrote = rs.wrote
	if _, err := rs.walk(ctx, root, "", false, false); err != nil {
		rs.plan.closeAll()
		return rs.result(), err
	}
	if opts.DryRun {
		return rs.finishDryRun(ctx)
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
	if err := rs.runDeletes(ctx); err != nil {
		return rs.result(), err
	}
	_ = rs.dirs.Apply(rs.applyDir) // applyDir reports its failures itself
	if err := fail.result(); err != nil || !opts.Verify {
		return rs.result(), err
	}
	if opts.Verifying != nil {
		opts.Verifying(rs.result())
	}
	err = rs.verify(ctx)
	return rs.result(), err
}

// openTarget opens the target directory; a dry run creates nothing, and
// into a target that does not exist gets a nil root.
func openTarget(target string, dryRun bool) (*fsnode.Root, error) {
	if !dryRun {
		return fsnode.OpenRoot(target)
	}
	rt, err := fsnode.OpenExistingRoot(target)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return rt, err
}

// finishDryRun completes a dry run: the deletions it would make are
// reported, nothing else is left to do.
func (rs *restorer) finishDryRun(ctx context.Context) (Stats, error) {
	for _, l := range rs.links {
		rs.count(func(st *Stats) { st.Links++ })
		rs.item(Item{Action: Restored, Path: "/" + l[1]})
	}
	rs.count(func(st *Stats) { st.PlannedFiles, st.PlannedBytes = st.Files, st.Bytes })
	if err := rs.runDeletes(ctx); err != nil {
		return rs.result(), err
	}
	return rs.result(), rs.fail.result()
}

func (rs *restorer) result() Stats {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	st := rs.stats
	st.Failed = rs.fail.count()
	return st
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
// entries, since none of them can be trusted to be the one meant. Such a
// tree turns Delete off, as restic does: what the target holds cannot
// be compared with names that are not there.
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
			rs.noDelete = true
			continue
		}
		switch c := seen[n.Name]; {
		case c == 1:
			nodes = append(nodes, n)
		case c > 1:
			rs.fail.add(rel, fmt.Errorf("skipped: %w: %d entries of this name", format.ErrDuplicateName, c))
			rs.noDelete = true
			seen[n.Name] = 0 // reported once; its other entries are skipped silently
		}
	}
	return nodes
}

// openDir opens the directory rel of the target; in a dry run, a
// directory not there yet is nil.
func (rs *restorer) openDir(rel string) (*fsnode.Dir, error) {
	if rs.root == nil {
		return nil, nil
	}
	d, err := rs.root.Dir(rel)
	if rs.opts.DryRun && errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return d, err
}

// subdir is a directory of a tree being walked.
type subdir struct {
	node     *format.Node
	selected bool // restored itself, not only for what is below it
	created  bool // made by this restore: removed again if it stays empty
}

// walk restores the entries of a tree into the directory dir, which the
// patterns selected itself or not; it reports whether it restored
// anything. Damage is reported and skipped; only a cancelled context is
// returned.
// fresh says that this restore made dir: nothing can be in it yet, and
// its entries are not looked up before they are created (a failing
// lstat per file was one system call in eight of a small file's).
func (rs *restorer) walk(ctx context.Context, tree format.ID, dir string, selected, fresh bool) (restored bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	t, err := rs.r.LoadTree(ctx, tree)
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		rs.fail.add(dir, fmt.Errorf("directory content not restored: %w", err))
		return false, nil
	}
	d, err := rs.openDir(dir)
	if err != nil {
		rs.fail.add(dir, fmt.Errorf("directory content not restored: %w", err))
		return false, nil
	}
	look := d // where existing entries are looked up
	if fresh {
		look = nil
	}
	var subdirs []subdir
	for _, n := range rs.validNodes(t, dir) {
		rel := join(dir, n.Name)
		sel, descend := rs.sel.selected("/"+rel, n.Type == format.NodeDir)
		restored = restored || sel
		switch {
		case n.Type == format.NodeDir && (sel || descend):
			if sd, ok := rs.enterDir(d, look, rel, n, sel); ok {
				subdirs = append(subdirs, sd)
			}
		case n.Type != format.NodeDir && sel:
			rs.restoreNode(d, look, rel, n)
		}
	}
	if d != nil {
		d.Close() // before descending: open directories would grow with depth
	}
	for _, sd := range subdirs {
		rel := join(dir, sd.node.Name)
		below, err := rs.walk(ctx, *sd.node.Subtree, rel, sd.selected, sd.created)
		if err != nil {
			return restored, err
		}
		rs.leaveDir(rel, sd, below)
		restored = restored || below
	}
	if rs.opts.Delete && (selected || restored) {
		rs.deletes = append(rs.deletes, pendingDelete{dir: dir, keep: treeNames(t)})
	}
	return restored, nil
}

// enterDir creates the directory rel (not in a dry run) to restore into;
// it reports whether to descend.
func (rs *restorer) enterDir(d, look *fsnode.Dir, rel string, n *format.Node, selected bool) (subdir, bool) {
	if n.Subtree == nil {
		rs.fail.add(rel, errors.New("skipped: directory without subtree"))
		return subdir{}, false
	}
	sd := subdir{node: n, selected: selected}
	if rs.opts.DryRun {
		return sd, true
	}
	_, name := path.Split(rel)
	sd.created = true
	if look != nil {
		e, ok, _ := look.Lstat(name)
		sd.created = !ok || e.Mode != os.ModeDir
	}
	if err := d.Mkdir(name); err != nil {
		rs.fail.add(rel, err)
		return subdir{}, false
	}
	return sd, true
}

// leaveDir queues the metadata of a directory walked, if it was restored
// itself or something below it was; else a directory this restore made
// only to look inside is removed again, as restic never makes it.
func (rs *restorer) leaveDir(rel string, sd subdir, below bool) {
	if !sd.selected && !below {
		if sd.created {
			_ = rs.root.Rmdir(rel) // empty: nothing below was restored
		}
		return
	}
	rs.count(func(st *Stats) { st.Dirs++ })
	if rs.opts.DryRun {
		rs.item(Item{Action: Restored, Path: "/" + rel})
		return
	}
	rs.dirs.Add(rel, sd.node)
}

// restoreNode restores the entry rel (not a directory) in d, or plans its
// content, as Overwrite decides.
// look is d, or nil if d is known to be empty.
func (rs *restorer) restoreNode(d, look *fsnode.Dir, rel string, n *format.Node) {
	_, name := path.Split(rel)
	if n.Type == format.NodeFile {
		rs.restoreFile(d, look, rel, name, n)
		return
	}
	if rs.decide(look, rel, name, n) == keepUntouched {
		rs.skip(rel, n)
		return
	}
	if !rs.opts.DryRun {
		err := d.CreateSpecial(name, n)
		if err == nil {
			err = rs.fail.metadata(rel, d.ApplyMetadata(name, n))
		}
		if err != nil {
			rs.fail.add(rel, err)
			return
		}
	}
	rs.count(func(st *Stats) { st.Other++ })
	rs.item(Item{Action: Restored, Path: "/" + rel})
}

// restoreFile restores the regular file rel, name in d: a hardlink to a
// file restored before it, content kept as it is, or content planned.
func (rs *restorer) restoreFile(d, look *fsnode.Dir, rel, name string, n *format.Node) {
	first, link, other := rs.hard.Claim(n, rel)
	if link {
		if rs.untouched(look, name, n) {
			rs.skip(rel, &format.Node{Type: n.Type}) // a link adds no content
			return
		}
		rs.mu.Lock()
		rs.links = append(rs.links, [2]string{first, rel})
		rs.mu.Unlock()
		return
	}
	if other != "" {
		// Written with its own content, as a file of its own; later
		// names with that content are linked to it.
		rs.fail.note(rel, fmt.Errorf("not hardlinked to /%s as the snapshot says: it gives the two names of one inode different content; "+
			"restored with its own content", other))
	}
	switch v := rs.decide(look, rel, name, n); v {
	case keepUntouched:
		rs.skip(rel, n)
	case keepContent:
		if !rs.opts.DryRun {
			if err := rs.fail.metadata(rel, d.ApplyMetadata(name, n)); err != nil {
				rs.fail.add(rel, err)
				return
			}
		}
		rs.skip(rel, n)
	default:
		if rs.opts.DryRun {
			rs.fileDone(&fileState{rel: rel, node: n, size: int64(n.Size), updated: v == restoreOver})
			return
		}
		rs.plan.add(rel, n, v == restoreOver, rs.fileDone)
	}
}

// skip counts the entry rel, of node n, as kept as the target has it.
func (rs *restorer) skip(rel string, n *format.Node) {
	rs.count(func(st *Stats) {
		st.Skipped++
		st.SkippedBytes += n.Size
	})
	rs.item(Item{Action: Unchanged, Path: "/" + rel, Size: n.Size, File: n.Type == format.NodeFile})
}

// item reports it to Options.Item.
func (rs *restorer) item(it Item) {
	if rs.opts.Item == nil {
		return
	}
	rs.itemMu.Lock()
	defer rs.itemMu.Unlock()
	rs.opts.Item(it)
}

func (rs *restorer) count(f func(*Stats)) {
	rs.mu.Lock()
	f(&rs.stats)
	rs.mu.Unlock()
	if rs.opts.Progress == nil {
		return
	}
	// The totals are taken under progMu: taken before it, a writer's
	// could reach Progress after a later writer's, and Written went back.
	rs.progMu.Lock()
	defer rs.progMu.Unlock()
	rs.mu.Lock()
	st := rs.stats
	rs.mu.Unlock()
	rs.opts.Progress(st)
}

// fileDone counts a file whose content and metadata are written.
func (rs *restorer) fileDone(fs *fileState) {
	rs.count(func(st *Stats) {
		st.Files++
		st.Bytes += uint64(fs.size)
	})
	if rs.opts.Verify {
		rs.mu.Lock()
		rs.written = append(rs.written, fs)
		rs.mu.Unlock()
	}
	action := Restored
	if fs.updated {
		action = Updated
	}
	rs.item(Item{Action: action, Path: "/" + fs.rel, Size: uint64(fs.size), File: true})
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
		rs.item(Item{Action: Restored, Path: "/" + l[1]})
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
		return nil
	}
	rs.item(Item{Action: Restored, Path: "/" + rel})
	return nil
}
