package snapedit

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"

	"github.com/drydock-backup/drydock/pkg/archiver"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/retention"
)

// RewriteTag marks a rewritten snapshot kept beside its original.
const RewriteTag = "rewrite"

// RewriteOptions say what a rewrite leaves out and what becomes of the
// originals.
type RewriteOptions struct {
	// Excludes are backup's patterns (archiver.Excluded), matched against
	// the paths in the snapshot.
	Excludes []string
	// Forget removes each original once its rewrite is stored; otherwise
	// both stay and the rewrite is tagged RewriteTag.
	Forget bool
	// DryRun finds what would be left out, and writes nothing.
	DryRun bool
}

// Rewritten is a snapshot that lost entries: New is its rewrite (zero in
// a dry run), Changes what changed in it, path first ("/srv/x: left
// out").
type Rewritten struct {
	Old, New format.ID
	Changes  []string
}

// Rewrite writes each of sns anew without what opts excludes, under the
// caller's lock (exclusive with Forget). Snapshots that lose nothing are
// left alone. The new trees are stored and indexed before any snapshot
// refers to them; an original is removed only after its rewrite is
// stored.
func Rewrite(ctx context.Context, r *repo.Repository, sns []repo.Snapshot, opts RewriteOptions) ([]Rewritten, error) {
	if len(opts.Excludes) == 0 {
		return nil, errors.New("nothing to leave out: give --exclude or --exclude-file")
	}
	if err := archiver.CheckPatterns(opts.Excludes); err != nil {
		return nil, err
	}
	exclude := func(p string, n *format.Node) (*format.Node, string) {
		if archiver.Excluded(opts.Excludes, p) {
			return nil, p + ": left out"
		}
		return n, ""
	}
	tag := RewriteTag
	if opts.Forget {
		tag = ""
	}
	return edit(ctx, r, sns, editor{node: exclude}, opts.DryRun, tag)
}

// editor says how a snapshot's trees change: node returns the node to
// keep at path p (nil to drop it) and, if it changed, a note saying how;
// broken, if set, says what a directory whose tree cannot be read
// becomes: empty (true), or the edit fails (false, or no broken).
type editor struct {
	node   func(p string, n *format.Node) (*format.Node, string)
	broken func(p string, err error) bool
}

// edit writes each of sns that e changes anew, tagged tag ("" for no tag
// and the original removed), or only finds them with dryRun.
func edit(ctx context.Context, r *repo.Repository, sns []repo.Snapshot, e editor, dryRun bool, tag string) ([]Rewritten, error) {
	if dryRun {
		hashOnly := func(_ context.Context, data []byte) (format.ID, error) { return format.Hash(data), nil }
		out, _, err := editTrees(ctx, r, sns, e, hashOnly)
		for i := range out {
			out[i].New = format.ID{}
		}
		return out, err
	}
	var out []Rewritten
	var trees []format.ID
	_, err := r.WithBlobSaver(ctx, func(ctx context.Context, s *repo.BlobSaver) error {
		save := func(ctx context.Context, data []byte) (format.ID, error) {
			id, _, err := s.SaveBlob(ctx, format.TreeBlob, data)
			return id, err
		}
		var err error
		out, trees, err = editTrees(ctx, r, sns, e, save)
		return err
	})
	if err != nil {
		return nil, err
	}
	return saveRewrites(ctx, r, sns, out, trees, tag)
}

// editTrees finds, for each snapshot that e changes, its new root tree,
// saving the trees that change with save.
func editTrees(ctx context.Context, r *repo.Repository, sns []repo.Snapshot, e editor,
	save func(context.Context, []byte) (format.ID, error)) ([]Rewritten, []format.ID, error) {
	var out []Rewritten
	var roots []format.ID
	for _, sn := range sns {
		w := walker{r: r, e: e, save: save}
		root, changed, err := w.tree(ctx, "/", *sn.Tree)
		if err != nil {
			return nil, nil, fmt.Errorf("snapshot %s: %w", sn.ID.Str(), err)
		}
		if changed {
			out = append(out, Rewritten{Old: sn.ID, Changes: w.changes})
			roots = append(roots, root)
		}
	}
	return out, roots, nil
}

// saveRewrites writes the snapshot documents of the rewrites, whose trees
// are stored, tagged tag; with no tag, the originals are removed.
func saveRewrites(ctx context.Context, r *repo.Repository, sns []repo.Snapshot, out []Rewritten, roots []format.ID, tag string) ([]Rewritten, error) {
	forget := tag == ""
	for i := range out {
		k := slices.IndexFunc(sns, func(sn repo.Snapshot) bool { return sn.ID == out[i].Old })
		doc := *sns[k].Snapshot
		doc.Tree = &roots[i]
		if doc.Original == nil {
			doc.Original = &out[i].Old
		}
		if !forget && !slices.Contains(doc.Tags, tag) {
			doc.Tags = append(slices.Clone(doc.Tags), tag)
		}
		id, err := r.SaveSnapshot(ctx, &doc)
		if err != nil {
			return out[:i], fmt.Errorf("snapshot %s: %w", out[i].Old.Str(), err)
		}
		out[i].New = id
		if !forget {
			continue
		}
		if _, err := retention.RemoveSnapshots(ctx, r, []format.ID{out[i].Old}); err != nil {
			return out[:i+1], fmt.Errorf("snapshot %s, rewritten as %s: %w; remove the original with drydock forget %s",
				out[i].Old.Str(), id.Str(), err, out[i].Old.Str())
		}
	}
	return out, nil
}

// walker edits the trees of one snapshot.
type walker struct {
	r       *repo.Repository
	e       editor
	save    func(context.Context, []byte) (format.ID, error)
	changes []string
}

// tree returns the ID of tree id, at dir, as the editor changes it, and
// whether anything below it changed.
func (w *walker) tree(ctx context.Context, dir string, id format.ID) (format.ID, bool, error) {
	t, err := w.r.LoadTree(ctx, id)
	if err != nil {
		if w.e.broken == nil || !w.e.broken(dir, err) {
			return format.ID{}, false, fmt.Errorf("%s: %w", dir, err)
		}
		w.changes = append(w.changes, dir+": directory unreadable, now empty")
		empty, err := format.EncodeTree(nil)
		if err != nil {
			return format.ID{}, false, err
		}
		newID, err := w.save(ctx, empty)
		return newID, true, err
	}
	nodes := make([]*format.Node, 0, len(t.Nodes))
	changed := false
	for _, n := range t.Nodes {
		p := path.Join(dir, n.Name)
		kept, note := w.e.node(p, n)
		if note != "" {
			w.changes = append(w.changes, note)
			changed = true
		}
		if kept == nil {
			continue
		}
		n = kept
		if n.Type == format.NodeDir && n.Subtree != nil {
			sub, subChanged, err := w.tree(ctx, p, *n.Subtree)
			if err != nil {
				return format.ID{}, false, err
			}
			if subChanged {
				c := *n
				c.Subtree = &sub
				n, changed = &c, true
			}
		}
		nodes = append(nodes, n)
	}
	if !changed {
		return id, false, nil
	}
	data, err := format.EncodeTree(nodes)
	if err != nil {
		return format.ID{}, false, fmt.Errorf("%s: %w", dir, err)
	}
	newID, err := w.save(ctx, data)
	return newID, true, err
}
