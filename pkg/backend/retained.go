package backend

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// retentionParallel bounds concurrent retention requests: one small
// request per file, enough in flight to hide the latency of S3.
const retentionParallel = 8

// Retained asks the retention of every file of hs and returns those still
// retained at now.
func Retained(ctx context.Context, r Retainer, hs []Handle, now time.Time) (map[Handle]Retention, error) {
	var mu sync.Mutex
	kept := map[Handle]Retention{}
	err := EachHandle(ctx, hs, func(ctx context.Context, h Handle) error {
		ret, err := r.Retention(ctx, h)
		if err != nil {
			return err
		}
		if ret.Active(now) {
			mu.Lock()
			kept[h] = ret
			mu.Unlock()
		}
		return nil
	})
	return kept, err
}

// Extension is what ExtendRetention did: how many files of each type it
// retained longer, and until when.
type Extension struct {
	Extended map[FileType]int
	Until    time.Time
}

// ExtendRetention extends the retention of every file of hs that is due
// (ObjectLock.Due) to now plus the policy's duration. A file whose
// retention is in compliance mode stays in compliance mode, which cannot
// be lowered; any other gets the policy's mode.
func ExtendRetention(ctx context.Context, r Retainer, hs []Handle, now time.Time) (Extension, error) {
	pol := r.ObjectLock()
	ext := Extension{Extended: map[FileType]int{}, Until: now.Add(pol.Duration)}
	var mu sync.Mutex
	err := EachHandle(ctx, hs, func(ctx context.Context, h Handle) error {
		ret, err := r.Retention(ctx, h)
		if err != nil {
			return err
		}
		if !pol.Due(ret.Until, now) {
			return nil
		}
		mode := pol.Mode
		if ret.Mode == Compliance && ret.Active(now) {
			mode = Compliance
		}
		if err := r.Retain(ctx, h, mode, ext.Until); err != nil {
			return err
		}
		mu.Lock()
		ext.Extended[h.Type]++
		mu.Unlock()
		return nil
	})
	return ext, err
}

// Lines describe the extension for people, one line per file type.
func (e Extension) Lines() []string {
	var lines []string
	for _, t := range slices.Sorted(maps.Keys(e.Extended)) {
		lines = append(lines, fmt.Sprintf("extended the retention of %s until %s", Files(e.Extended[t], t), FormatUntil(e.Until)))
	}
	return lines
}

// EachHandle calls fn for every handle of hs, a few at a time, and stops
// at the first error.
func EachHandle(ctx context.Context, hs []Handle, fn func(context.Context, Handle) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(retentionParallel)
	for _, h := range hs {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			return fn(gctx, h)
		})
	}
	return g.Wait()
}

// KeptFiles sums up files kept because they are under retention: per
// file type, how many and until when the last of them is retained.
type KeptFiles map[FileType]KeptCount

// KeptCount is the entry of one file type in KeptFiles.
type KeptCount struct {
	Files int
	Until time.Time // the latest end of retention among them
}

// Add counts one kept file.
func (k KeptFiles) Add(t FileType, ret Retention) {
	c := k[t]
	c.Files++
	if ret.Until.After(c.Until) {
		c.Until = ret.Until
	}
	k[t] = c
}

// Lines describe what was kept for people, one line per file type, in
// layout order.
func (k KeptFiles) Lines() []string {
	var lines []string
	for _, t := range slices.Sorted(maps.Keys(k)) {
		c := k[t]
		lines = append(lines, fmt.Sprintf("kept %s under retention (S3 Object Lock) until %s at the latest", Files(c.Files, t), FormatUntil(c.Until)))
	}
	return lines
}

// FormatUntil formats an end of retention for people, in local time.
func FormatUntil(t time.Time) string {
	return t.Local().Format("2006-01-02 15:04:05 MST")
}

// Files counts files of type t for people: "1 pack", "3 index files".
func Files(n int, t FileType) string {
	name := t.String()
	switch {
	case t == IndexFile:
		name = "index file"
	case t == ConfigFile:
		name = "config file"
	}
	if n != 1 {
		name += "s"
	}
	return fmt.Sprintf("%d %s", n, name)
}

// keptJSON is one file type of KeptFiles in JSON.
type keptJSON struct {
	Type  string    `json:"type"`
	Files int       `json:"files"`
	Until time.Time `json:"until"`
}

// MarshalJSON writes k as a list, one element per file type in layout
// order: {"type": "pack", "files": 3, "until": "2027-01-06T12:00:00Z"}.
func (k KeptFiles) MarshalJSON() ([]byte, error) {
	out := []keptJSON{}
	for _, t := range slices.Sorted(maps.Keys(k)) {
		out = append(out, keptJSON{Type: t.String(), Files: k[t].Files, Until: k[t].Until.UTC()})
	}
	return json.Marshal(out)
}

// MarshalJSON writes e as {"until": …, "files": {"pack": 3, …}}.
func (e Extension) MarshalJSON() ([]byte, error) {
	files := map[string]int{}
	for t, n := range e.Extended {
		files[t.String()] = n
	}
	return json.Marshal(struct {
		Until time.Time      `json:"until"`
		Files map[string]int `json:"files"`
	}{e.Until.UTC(), files})
}
