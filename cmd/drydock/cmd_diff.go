package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"reflect"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/internal/humanize"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/retention"
)

func newDiffCommand(g *globalOptions) *cobra.Command {
	var metadata bool
	cmd := &cobra.Command{
		Use:   "diff SNAPSHOT-A SNAPSHOT-B",
		Short: "Show what changed between two snapshots",
		Long: `Diff lists the entries added (+), removed (-), changed in content (M) or type
(T), and with --metadata changed in mode, owner, times or xattrs (U), from
SNAPSHOT-A to SNAPSHOT-B, then counts them with the blobs and bytes added
and removed, as restic's diff does.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withListingLock(cmd.Context(), false, func(ctx context.Context, r *repo.Repository) error {
				sns, err := selectTrees(ctx, r, g, args, retention.Filter{})
				if err != nil {
					return err
				}
				d := &differ{r: r, g: g, metadata: metadata, refs: args}
				return d.run(ctx, sns[0], sns[1])
			})
		},
	}
	cmd.Flags().BoolVar(&metadata, "metadata", false, "also list entries whose metadata changed")
	return cmd
}

// diffCount is one side of restic's diff --json statistics.
type diffCount struct {
	Files     int    `json:"files"`
	Dirs      int    `json:"dirs"`
	Others    int    `json:"others"`
	DataBlobs int    `json:"data_blobs"`
	TreeBlobs int    `json:"tree_blobs"`
	Bytes     uint64 `json:"bytes"`
}

type diffStats struct {
	MessageType    string    `json:"message_type"`
	SourceSnapshot string    `json:"source_snapshot"`
	TargetSnapshot string    `json:"target_snapshot"`
	ChangedFiles   int       `json:"changed_files"`
	Added          diffCount `json:"added"`
	Removed        diffCount `json:"removed"`
}

type diffChange struct {
	MessageType string `json:"message_type"`
	Path        string `json:"path"`
	Modifier    string `json:"modifier"`
}

type differ struct {
	r        *repo.Repository
	g        *globalOptions
	metadata bool
	refs     []string // as given, for --json (restic prints them so)
	stats    diffStats
}

func (d *differ) run(ctx context.Context, a, b repo.Snapshot) error {
	d.stats = diffStats{MessageType: "statistics", SourceSnapshot: d.refs[0], TargetSnapshot: d.refs[1]}
	if !d.g.json {
		fmt.Fprintf(d.g.stdout, "comparing snapshot %s to %s:\n\n", a.ID.Str(), b.ID.Str())
	}
	if err := d.trees(ctx, "/", *a.Tree, *b.Tree); err != nil {
		return err
	}
	if err := d.blobStats(ctx, *a.Tree, *b.Tree); err != nil {
		return err
	}
	return d.printStats()
}

// trees compares the directories with trees ta and tb at dir.
func (d *differ) trees(ctx context.Context, dir string, ta, tb format.ID) error {
	if ta == tb {
		return nil
	}
	na, err := d.nodes(ctx, ta)
	if err != nil {
		return err
	}
	nb, err := d.nodes(ctx, tb)
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
		if err := d.entry(ctx, path.Join(dir, name), na[name], nb[name]); err != nil {
			return err
		}
	}
	return nil
}

func (d *differ) nodes(ctx context.Context, id format.ID) (map[string]*format.Node, error) {
	t, err := d.r.LoadTree(ctx, id)
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
func (d *differ) entry(ctx context.Context, p string, a, b *format.Node) error {
	switch {
	case a == nil:
		return d.whole(ctx, "+", p, b, &d.stats.Added)
	case b == nil:
		return d.whole(ctx, "-", p, a, &d.stats.Removed)
	case a.Type != b.Type: // counted as neither added nor removed, as restic
		mod := "T"
		if d.metadata && !sameMetadata(a, b) {
			mod += "U"
		}
		return d.change(mod, displayPath(p, b)) // the new type decides, as restic
	}
	mod := ""
	if a.Type == format.NodeFile && !slices.Equal(a.Content, b.Content) {
		mod = "M"
		d.stats.ChangedFiles++
	} else if d.metadata && !sameMetadata(a, b) {
		mod = "U"
	}
	if mod != "" {
		if err := d.change(mod, displayPath(p, a)); err != nil {
			return err
		}
	}
	if a.Type == format.NodeDir && a.Subtree != nil && b.Subtree != nil {
		return d.trees(ctx, p, *a.Subtree, *b.Subtree)
	}
	return nil
}

// whole reports n at p and everything below it as added or removed.
func (d *differ) whole(ctx context.Context, mod, p string, n *format.Node, count *diffCount) error {
	switch n.Type {
	case format.NodeFile:
		count.Files++
	case format.NodeDir:
		count.Dirs++
	default:
		count.Others++
	}
	if err := d.change(mod, displayPath(p, n)); err != nil {
		return err
	}
	if n.Type != format.NodeDir || n.Subtree == nil {
		return nil
	}
	children, err := d.nodes(ctx, *n.Subtree)
	if err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(children)) {
		if err := d.whole(ctx, mod, path.Join(p, name), children[name], count); err != nil {
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

func (d *differ) change(mod, p string) error {
	if d.g.json {
		return json.NewEncoder(d.g.stdout).Encode(diffChange{MessageType: "change", Path: p, Modifier: mod})
	}
	_, err := fmt.Fprintf(d.g.stdout, "%-5s%s\n", mod, quoteName(p))
	return err
}

// blobStats counts the blobs (and their bytes) only b needs as added and
// those only a needs as removed.
func (d *differ) blobStats(ctx context.Context, ta, tb format.ID) error {
	ba, bb := map[format.BlobHandle]bool{}, map[format.BlobHandle]bool{}
	if err := d.collect(ctx, ta, ba); err != nil {
		return err
	}
	if err := d.collect(ctx, tb, bb); err != nil {
		return err
	}
	tally := func(in, notIn map[format.BlobHandle]bool, c *diffCount) {
		for h := range in {
			if notIn[h] {
				continue
			}
			if h.Type == format.TreeBlob {
				c.TreeBlobs++
			} else {
				c.DataBlobs++
			}
			if loc, ok := d.r.Index().Lookup(h); ok {
				c.Bytes += uint64(loc.PlainLength())
			}
		}
	}
	tally(bb, ba, &d.stats.Added)
	tally(ba, bb, &d.stats.Removed)
	return nil
}

// collect adds tree id and every blob below it to set.
func (d *differ) collect(ctx context.Context, id format.ID, set map[format.BlobHandle]bool) error {
	h := format.BlobHandle{ID: id, Type: format.TreeBlob}
	if set[h] {
		return nil
	}
	set[h] = true
	t, err := d.r.LoadTree(ctx, id)
	if err != nil {
		return err
	}
	for _, n := range t.Nodes {
		for _, b := range n.Content {
			set[format.BlobHandle{ID: b, Type: format.DataBlob}] = true
		}
		if n.Type == format.NodeDir && n.Subtree != nil {
			if err := d.collect(ctx, *n.Subtree, set); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *differ) printStats() error {
	if d.g.json {
		return json.NewEncoder(d.g.stdout).Encode(d.stats)
	}
	s, w := d.stats, d.g.stdout
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Files:       %5d new, %5d removed, %5d changed\n", s.Added.Files, s.Removed.Files, s.ChangedFiles)
	fmt.Fprintf(w, "Dirs:        %5d new, %5d removed\n", s.Added.Dirs, s.Removed.Dirs)
	fmt.Fprintf(w, "Others:      %5d new, %5d removed\n", s.Added.Others, s.Removed.Others)
	fmt.Fprintf(w, "Data Blobs:  %5d new, %5d removed\n", s.Added.DataBlobs, s.Removed.DataBlobs)
	fmt.Fprintf(w, "Tree Blobs:  %5d new, %5d removed\n", s.Added.TreeBlobs, s.Removed.TreeBlobs)
	fmt.Fprintf(w, "  Added:   %s\n", humanize.Bytes(s.Added.Bytes, 3))
	fmt.Fprintf(w, "  Removed: %s\n", humanize.Bytes(s.Removed.Bytes, 3))
	return nil
}
