package snapedit

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/retention"
)

// Change is what to do to the tags: replace them all (Set, when Replace),
// or add and remove some. Empty tags are ignored, so Replace with no tags
// removes them all.
type Change struct {
	Replace     bool
	Set         []string
	Add, Remove []string
}

// Validate refuses a change that says nothing, or both replaces and edits.
func (c Change) Validate() error {
	switch {
	case c.Replace && (len(c.Add) > 0 || len(c.Remove) > 0):
		return errors.New("--set replaces every tag: it cannot be given with --add or --remove")
	case !c.Replace && len(c.Add) == 0 && len(c.Remove) == 0:
		return errors.New("nothing to change: give --add, --remove or --set")
	}
	return nil
}

// Apply returns the tags of a snapshot that had tags, changed by c.
func (c Change) Apply(tags []string) []string {
	out := slices.Clone(tags)
	if c.Replace {
		out = nil
		c.Add = c.Set
	}
	for _, t := range c.Add {
		if t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return slices.DeleteFunc(out, func(t string) bool { return slices.Contains(c.Remove, t) })
}

// Changed is one snapshot whose tags changed: its old and new IDs.
type Changed struct {
	Old, New format.ID
	Tags     []string
}

// Tags applies c to each of sns, under the caller's exclusive lock, and
// returns the snapshots it changed; those whose tags stay the same are
// left alone. It stops at the first failure, having changed the ones
// before it: a snapshot is either changed (written anew, the old file
// removed) or, if the removal failed, there twice, never lost.
func Tags(ctx context.Context, r *repo.Repository, sns []repo.Snapshot, c Change) ([]Changed, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	var done []Changed
	for _, sn := range sns {
		tags := c.Apply(sn.Tags)
		if slices.Equal(tags, sn.Tags) {
			continue
		}
		doc := *sn.Snapshot
		doc.Tags = tags
		if doc.Original == nil {
			doc.Original = &sn.ID
		}
		id, err := r.SaveSnapshot(ctx, &doc)
		if err != nil {
			return done, fmt.Errorf("snapshot %s: %w", sn.ID.Str(), err)
		}
		if _, err := retention.RemoveSnapshots(ctx, r, []format.ID{sn.ID}); err != nil {
			return done, fmt.Errorf("snapshot %s, saved with its new tags as %s: %w; remove the old one with drydock forget %s",
				sn.ID.Str(), id.Str(), err, sn.ID.Str())
		}
		done = append(done, Changed{Old: sn.ID, New: id, Tags: tags})
	}
	return done, nil
}
