package snapdiff

import (
	"context"
	"path"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// Modifiers of a Change, as restic's diff prints them. A change of type
// with metadata changed too is "TU".
const (
	Added    = "+"
	Removed  = "-"
	Modified = "M" // a file's content
	Type     = "T" // the entry's type
	Metadata = "U" // mode, owner, times, xattrs (Options.Metadata)
)

// Change is one entry that differs. A directory's Path ends in '/'.
type Change struct {
	Path     string `json:"path"`
	Modifier string `json:"modifier"`
}

// Count is one side of the statistics: the entries only it has, and the
// blobs only it needs with their bytes (before compression).
type Count struct {
	Files     int    `json:"files"`
	Dirs      int    `json:"dirs"`
	Others    int    `json:"others"`
	DataBlobs int    `json:"data_blobs"`
	TreeBlobs int    `json:"tree_blobs"`
	Bytes     uint64 `json:"bytes"`
}

// Stats sum up a diff as restic's diff --json statistics do.
type Stats struct {
	ChangedFiles int   `json:"changed_files"`
	Added        Count `json:"added"`
	Removed      Count `json:"removed"`
}

// Options tune a diff.
type Options struct {
	// Metadata also reports entries whose metadata changed (U).
	Metadata bool
}

// Diff walks the trees a and b (two snapshots' roots), calls fn with each
// change from a to b in path order, and returns the statistics, blobs
// included. An error from fn ends the walk and is returned. Trees are
// read through the repository's tree cache (Options.TreeCache), if any.
// The repository's index must be loaded.
func Diff(ctx context.Context, r *repo.Repository, a, b format.ID, opts Options, fn func(Change) error) (Stats, error) {
	w := &walker{r: r, opts: opts, fn: fn, before: blobSet{}, after: blobSet{}, common: blobSet{}}
	w.before.addTree(a)
	w.after.addTree(b)
	if err := w.trees(ctx, "/", a, b); err != nil {
		return w.stats, err
	}
	w.tally()
	return w.stats, nil
}

type walker struct {
	r     *repo.Repository
	opts  Options
	fn    func(Change) error
	stats Stats
	// The blobs of the entries that differ, a's and b's, and those of the
	// subtrees both share (blobs.go).
	before, after, common blobSet
}

// trees compares the directories with trees ta and tb at dir.
func (w *walker) trees(ctx context.Context, dir string, ta, tb format.ID) error {
	if ta == tb {
		return w.collect(ctx, ta, w.common)
	}
	na, err := w.nodes(ctx, ta)
	if err != nil {
		return err
	}
	nb, err := w.nodes(ctx, tb)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(na)+len(nb))
	for name := range na {
		names = append(names, name)
	}
	for name := range nb {
		if na[name] == nil {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		if err := w.entry(ctx, path.Join(dir, name), na[name], nb[name]); err != nil {
			return err
		}
	}
	return nil
}

func (w *walker) nodes(ctx context.Context, id format.ID) (map[string]*format.Node, error) {
	t, err := w.r.LoadTreeCached(ctx, id)
	if err != nil {
		return nil, err
	}
	m := make(map[string]*format.Node, len(t.Nodes))
	for _, n := range t.Nodes {
		m[n.Name] = n
	}
	return m, nil
}

// entry compares one name present in a, b or both.
func (w *walker) entry(ctx context.Context, p string, a, b *format.Node) error {
	w.before.addNode(a)
	w.after.addNode(b)
	switch {
	case a == nil:
		return w.whole(ctx, Added, p, b, &w.stats.Added)
	case b == nil:
		return w.whole(ctx, Removed, p, a, &w.stats.Removed)
	case a.Type != b.Type:
		// Counted as neither added nor removed, and not walked below: of a
		// folder only its own tree's blob counts, as restic counts it.
		mod := Type
		if w.opts.Metadata && !sameMetadata(a, b) {
			mod += Metadata
		}
		return w.fn(Change{Path: displayPath(p, b), Modifier: mod}) // the new type decides, as restic
	}
	mod := ""
	if a.Type == format.NodeFile && !slices.Equal(a.Content, b.Content) {
		mod = Modified
		w.stats.ChangedFiles++
	} else if w.opts.Metadata && !sameMetadata(a, b) {
		mod = Metadata
	}
	if mod != "" {
		if err := w.fn(Change{Path: displayPath(p, a), Modifier: mod}); err != nil {
			return err
		}
	}
	if a.Type == format.NodeDir && a.Subtree != nil && b.Subtree != nil {
		return w.trees(ctx, p, *a.Subtree, *b.Subtree)
	}
	return nil
}

// whole reports n at p and everything below it as added or removed.
func (w *walker) whole(ctx context.Context, mod, p string, n *format.Node, count *Count) error {
	set := w.after
	if mod == Removed {
		set = w.before
	}
	set.addNode(n)
	switch n.Type {
	case format.NodeFile:
		count.Files++
	case format.NodeDir:
		count.Dirs++
	default:
		count.Others++
	}
	if err := w.fn(Change{Path: displayPath(p, n), Modifier: mod}); err != nil {
		return err
	}
	if n.Type != format.NodeDir || n.Subtree == nil {
		return nil
	}
	t, err := w.r.LoadTreeCached(ctx, *n.Subtree)
	if err != nil {
		return err
	}
	children := slices.Clone(t.Nodes) // the cached tree is shared
	slices.SortFunc(children, func(x, y *format.Node) int { return strings.Compare(x.Name, y.Name) })
	for _, c := range children {
		if err := w.whole(ctx, mod, path.Join(p, c.Name), c, count); err != nil {
			return err
		}
	}
	return nil
}

// displayPath ends a directory's path with '/', as restic's diff does.
func displayPath(p string, n *format.Node) string {
	if n.Type == format.NodeDir {
		return p + "/"
	}
	return p
}

// sameMetadata compares every field of two nodes of one name but their
// content, as restic's diff --metadata does: a directory whose subtree
// changed, or any entry whose ctime or inode did, counts as changed.
func sameMetadata(a, b *format.Node) bool {
	ca, cb := *a, *b
	ca.Content, cb.Content = nil, nil
	for _, t := range []*time.Time{&ca.ModTime, &ca.AccessTime, &ca.ChangeTime, &cb.ModTime, &cb.AccessTime, &cb.ChangeTime} {
		*t = t.UTC()
	}
	return reflect.DeepEqual(ca, cb)
}
