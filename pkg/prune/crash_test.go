package prune_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/prune"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

var errInjected = errors.New("injected failure")

// faulty is a backend that fails the nth and every later Save or Remove
// of one file type, as if the process had died there; with hook set it
// lets the nth call succeed and runs hook after it instead.
type faulty struct {
	backend.Backend
	remove bool // Remove instead of Save
	typ    backend.FileType
	n      int
	hook   func()

	mu    sync.Mutex
	calls int
}

var _ backend.Backend = (*faulty)(nil)

// hit counts a matching call and reports whether it must fail.
func (f *faulty) hit(remove bool, t backend.FileType) (fail, hook bool) {
	if remove != f.remove || t != f.typ {
		return false, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.hook != nil {
		return false, f.calls == f.n
	}
	return f.calls >= f.n, false
}

func (f *faulty) Save(ctx context.Context, h backend.Handle, rd backend.RewindReader) error {
	fail, hook := f.hit(false, h.Type)
	if fail {
		return errInjected
	}
	err := f.Backend.Save(ctx, h, rd)
	if hook && err == nil {
		f.hook()
	}
	return err
}

func (f *faulty) Remove(ctx context.Context, h backend.Handle) error {
	fail, hook := f.hit(true, h.Type)
	if fail {
		return errInjected
	}
	err := f.Backend.Remove(ctx, h)
	if hook && err == nil {
		f.hook()
	}
	return err
}

// TestPruneCrashSafety interrupts prune at every step. Each time restic
// check --read-data must pass and every snapshot must restore; no pack may
// be deleted before the old index files are gone; the next prune must
// finish the job.
func TestPruneCrashSafety(t *testing.T) {
	cases := []struct {
		name      string
		remove    bool
		typ       backend.FileType
		n         int
		hook      string // "cancel": the lock is lost; "snapshot": a snapshot appears
		wantErr   error
		packsKept bool // no pack may have been deleted
	}{
		{name: "first new pack", typ: backend.PackFile, n: 1, wantErr: errInjected, packsKept: true},
		{name: "second new pack", typ: backend.PackFile, n: 2, wantErr: errInjected, packsKept: true},
		{name: "new index", typ: backend.IndexFile, n: 1, wantErr: errInjected, packsKept: true},
		{name: "first old index delete", remove: true, typ: backend.IndexFile, n: 1, wantErr: errInjected, packsKept: true},
		{name: "second old index delete", remove: true, typ: backend.IndexFile, n: 2, wantErr: errInjected, packsKept: true},
		{name: "first pack delete", remove: true, typ: backend.PackFile, n: 1, wantErr: errInjected},
		{name: "fourth pack delete", remove: true, typ: backend.PackFile, n: 4, wantErr: errInjected},
		{name: "lock lost after the new index", typ: backend.IndexFile, n: 1, hook: "cancel", wantErr: context.Canceled, packsKept: true},
		{name: "snapshot appears after the new index", typ: backend.IndexFile, n: 1, hook: "snapshot", wantErr: prune.ErrConcurrentChange, packsKept: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, p := forgottenRepo(t, format.Version2)
			before := packs(t, b.dir)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			f := &faulty{remove: tc.remove, typ: tc.typ, n: tc.n}
			switch tc.hook {
			case "cancel":
				f.hook = cancel
			case "snapshot":
				f.hook = func() { b.copySnapshot(t) }
			}
			r := openRepo(t, b.dir, func(be backend.Backend) backend.Backend { f.Backend = be; return f })
			_, _, err := runPrune(ctx, r, prune.Options{MaxUnused: mustMaxUnused(t, "0%")})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("interrupted prune: %v, want %v", err, tc.wantErr)
			}
			t.Logf("interrupted: %v", err)
			if tc.packsKept {
				after := packs(t, b.dir)
				for id := range before {
					if !after[id] {
						t.Fatalf("pack %v was deleted before the old index was gone", id.Str())
					}
				}
			}
			out := resticCheck(t, b.dir)
			t.Logf("restic check after the interruption:\n%s", out)
			b.verifyRestores(t)

			mustPrune(t, b.dir, prune.Options{MaxUnused: mustMaxUnused(t, "0%")})
			after := packs(t, b.dir)
			if !after[p["shared"]] || !after[p["only1"]] || after[p["only0"]] || after[p["mix"]] {
				t.Fatalf("after the second prune: shared %v only1 %v only0 %v mix %v",
					after[p["shared"]], after[p["only1"]], after[p["only0"]], after[p["mix"]])
			}
			if out := resticCheck(t, b.dir); containsAny(out, "additional files", "several indexes") {
				t.Fatalf("restic check has notices after the second prune:\n%s", out)
			}
			b.verifyRestores(t)
		})
	}
}

// copySnapshot stores a copy of one snapshot with a later time, as a
// backup running despite prune's lock would.
func (b *builder) copySnapshot(t *testing.T) {
	for id, want := range b.want {
		sn, err := b.r.LoadSnapshot(context.Background(), id)
		if err != nil {
			t.Error(err)
			return
		}
		sn.Time = sn.Time.Add(time.Hour)
		nid, err := b.r.SaveSnapshot(context.Background(), sn.Snapshot)
		if err != nil {
			t.Error(err)
			return
		}
		b.want[nid] = want
		return
	}
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// corrupting flips one byte of every pack it saves, after saving it: a
// pack damaged on its way to storage.
type corrupting struct {
	backend.Backend
	dir string
}

func (c *corrupting) Save(ctx context.Context, h backend.Handle, rd backend.RewindReader) error {
	if err := c.Backend.Save(ctx, h, rd); err != nil || h.Type != backend.PackFile {
		return err
	}
	p := filepath.Join(c.dir, backend.Path(h))
	raw, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	raw[len(raw)/3] ^= 0x40
	if err := os.Chmod(p, 0o600); err != nil {
		return err
	}
	return os.WriteFile(p, raw, 0o400)
}

// TestPruneVerifiesRepackedPacks: a repacked pack that does not read back
// intact stops prune before anything is deleted: the packs being repacked
// hold the only other copy of its blobs.
func TestPruneVerifiesRepackedPacks(t *testing.T) {
	b := newBuilder(t, format.Version2)
	used, unused := b.blobs(4, 4096), b.blobs(4, 4096)
	files := []file{{name: "a", chunks: used}}
	tree := b.tree(files...)
	b.pack(format.DataBlob, true, append(slices.Clone(used), unused...)...) // partly used: repacked at 0%
	b.pack(format.TreeBlob, true, tree)
	b.writeIndex()
	b.snapshot(tree, files...)
	before := packs(t, b.dir)

	r := openRepo(t, b.dir, func(be backend.Backend) backend.Backend { return &corrupting{Backend: be, dir: b.dir} })
	st, _, err := runPrune(t.Context(), r, prune.Options{MaxUnused: mustMaxUnused(t, "0%")})
	if err == nil || !strings.Contains(err.Error(), "does not read back") {
		t.Fatalf("prune with a damaged new pack: %v (stats %+v), want it to stop", err, st.Packs)
	}
	after := packs(t, b.dir)
	for id := range before {
		if !after[id] {
			t.Errorf("pack %v deleted although its repacked copy is damaged", id.Str())
		}
	}
	if out, err := restic(t, b.dir, "check", "--read-data"); err != nil {
		t.Errorf("restic check: %v\n%s", err, out)
	}
}
