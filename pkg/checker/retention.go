package checker

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// ShortRetention is a file the repository needs whose retention (S3
// Object Lock) ends earlier than the policy asks: before half of its
// duration from now, when prune (and forget, for snapshots) would extend
// it. A zero Until means the file is not retained at all.
type ShortRetention struct {
	Handle backend.Handle
	Until  time.Time
}

// RetentionReport is the retention part of a check, made only under an
// object lock.
type RetentionReport struct {
	Policy backend.ObjectLock
	Short  []ShortRetention // sorted by type, then end of retention
}

// checkRetention asks the retention of the config, the keys, the
// snapshots, the index files and the indexed packs, and reports those
// that end too early.
func (c *checker) checkRetention(ctx context.Context, listed map[format.ID]int64) error {
	ret, ok := backend.AsRetainer(c.r.Backend())
	if !ok {
		return nil
	}
	hs := []backend.Handle{{Type: backend.ConfigFile}}
	for _, t := range []backend.FileType{backend.KeyFile, backend.SnapshotFile, backend.IndexFile} {
		ids, err := c.r.List(ctx, t)
		if err != nil {
			return fmt.Errorf("check retention: %w", err)
		}
		for _, id := range ids {
			hs = append(hs, backend.Handle{Type: t, Name: id.String()})
		}
	}
	for id := range listed {
		if _, indexed := c.packs[id]; indexed {
			hs = append(hs, backend.Handle{Type: backend.PackFile, Name: id.String()})
		}
	}
	rep := &RetentionReport{Policy: ret.ObjectLock()}
	now := time.Now()
	var mu sync.Mutex
	err := backend.EachHandle(ctx, hs, func(ctx context.Context, h backend.Handle) error {
		rt, err := ret.Retention(ctx, h)
		if err != nil || !rep.Policy.Due(rt.Until, now) {
			return err
		}
		if !rt.Active(now) {
			rt.Until = time.Time{}
		}
		mu.Lock()
		rep.Short = append(rep.Short, ShortRetention{Handle: h, Until: rt.Until})
		mu.Unlock()
		return nil
	})
	if err != nil {
		return fmt.Errorf("check retention: %w", err)
	}
	slices.SortFunc(rep.Short, func(a, b ShortRetention) int {
		return cmp.Or(cmp.Compare(a.Handle.Type, b.Handle.Type), a.Until.Compare(b.Until), cmp.Compare(a.Handle.Name, b.Handle.Name))
	})
	c.rep.Retention = rep
	return nil
}

// Print writes the warning section, one line per file type.
func (r *RetentionReport) Print(w io.Writer) {
	if r == nil || len(r.Short) == 0 {
		return
	}
	type sum struct {
		files, none int
		earliest    time.Time
	}
	byType := map[backend.FileType]*sum{}
	for _, s := range r.Short {
		t := byType[s.Handle.Type]
		if t == nil {
			t = &sum{earliest: s.Until}
			byType[s.Handle.Type] = t
		}
		t.files++
		if s.Until.IsZero() {
			t.none++
		}
	}
	fmt.Fprintf(w, "warning: %d files are retained for less than half of the object lock's %s (prune renews packs, index, keys and config; forget the snapshots its policy keeps):\n",
		len(r.Short), r.Policy)
	for _, t := range slices.Sorted(maps.Keys(byType)) {
		s := byType[t]
		line := "  " + backend.Files(s.files, t)
		if s.none < s.files {
			line += fmt.Sprintf(", retained until %s at the earliest", backend.FormatUntil(s.earliest))
		}
		if s.none > 0 {
			line += fmt.Sprintf(", %d not retained at all", s.none)
		}
		fmt.Fprintln(w, line)
	}
}

// retentionJSON is the retention part of the JSON report.
type retentionJSON struct {
	Policy string      `json:"policy"`
	Short  []shortJSON `json:"short"`
}

type shortJSON struct {
	Type  string     `json:"type"`
	Name  string     `json:"name,omitempty"`
	Until *time.Time `json:"until"` // null: not retained at all
}

func (r *RetentionReport) toJSON() *retentionJSON {
	if r == nil {
		return nil
	}
	out := &retentionJSON{Policy: r.Policy.String(), Short: []shortJSON{}}
	for _, s := range r.Short {
		j := shortJSON{Type: s.Handle.Type.String(), Name: s.Handle.Name}
		if !s.Until.IsZero() {
			u := s.Until.UTC()
			j.Until = &u
		}
		out.Short = append(out.Short, j)
	}
	return out
}
