package snapcopy_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/fixture"
	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/pkg/archiver"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/local"
	"github.com/drydock-backup/drydock/pkg/checker"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/snapcopy"
)

// backup saves dir into r as a snapshot of host and returns it.
func backup(t *testing.T, r *repo.Repository, dir, host string, tags ...string) repo.Snapshot {
	t.Helper()
	var res archiver.Result
	_, err := r.WithBlobSaver(t.Context(), func(ctx context.Context, s *repo.BlobSaver) error {
		var err error
		res, err = archiver.Save(ctx, r, s, []string{dir}, nil, archiver.Options{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	tree := res.Tree
	doc := &format.Snapshot{Time: time.Now(), Tree: &tree, Paths: []string{dir}, Hostname: host, Username: "tester", Tags: tags}
	id, err := r.SaveSnapshot(t.Context(), doc)
	if err != nil {
		t.Fatal(err)
	}
	return repo.Snapshot{ID: id, Snapshot: doc}
}

// open opens the repository in dir again, as a new process would, its
// backend wrapped by wrap if given.
func open(t *testing.T, dir string, wrap func(backend.Backend) backend.Backend, opts repo.Options) *repo.Repository {
	t.Helper()
	be, err := local.Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	var b backend.Backend = be
	if wrap != nil {
		b = wrap(be)
	}
	r, err := repo.Open(t.Context(), b, repotest.Password, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// mustCheck fails unless checker finds r intact, reading every pack.
func mustCheck(t *testing.T, r *repo.Repository) *checker.Report {
	t.Helper()
	rep, err := checker.Check(t.Context(), r, checker.Options{ReadData: true})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("destination damaged: %v", rep.Errors)
	}
	return rep
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCopy copies a backup of the fixture between repositories of each
// version pair: the destination checks clean, the copy keeps the tree,
// names the source as original and no parent; a second run copies
// nothing and writes no file.
func TestCopy(t *testing.T) {
	data := t.TempDir()
	fixture.Build(t, data)
	for _, c := range []struct {
		name     string
		from, to uint
	}{{"v2 to v2", 2, 2}, {"v1 to v2", 1, 2}, {"v2 to v1", 2, 1}} {
		t.Run(c.name, func(t *testing.T) {
			src, _ := repotest.New(t, c.from, repo.Options{})
			dst, dstDir := repotest.New(t, c.to, repo.Options{})
			a := backup(t, src, data, "alpha", "nightly")
			parent := a.ID
			b := backup(t, src, data, "beta")
			b.Parent = &parent
			var results []snapcopy.Result
			sum, err := snapcopy.Run(t.Context(), src, dst, []repo.Snapshot{a, b}, snapcopy.Options{Report: func(r snapcopy.Result) { results = append(results, r) }})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Copied != 2 || sum.Skipped != 0 || len(results) != 2 {
				t.Fatalf("summary %+v, results %+v", sum, results)
			}
			// Both snapshots share their data: the second adds no data
			// blob (a directory's atime may have changed its tree).
			if results[1].Stats.DataBlobs != 0 {
				t.Errorf("second snapshot added %+v", results[1].Stats)
			}
			dst = open(t, dstDir, nil, repo.Options{})
			mustCheck(t, dst)
			for i, want := range []repo.Snapshot{a, b} {
				got, err := dst.LoadSnapshot(t.Context(), results[i].Copy)
				if err != nil {
					t.Fatal(err)
				}
				if *got.Tree != *want.Tree || got.Original == nil || *got.Original != want.ID || got.Parent != nil || !snapcopy.Similar(got.Snapshot, want.Snapshot) {
					t.Errorf("copy of %s is %+v", want.ID.Str(), got.Snapshot)
				}
			}
			before := countFiles(t, dstDir)
			sum, err = snapcopy.Run(t.Context(), src, dst, []repo.Snapshot{a, b}, snapcopy.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Copied != 0 || sum.Skipped != 2 || countFiles(t, dstDir) != before {
				t.Errorf("second run: %+v, %d files, had %d", sum, countFiles(t, dstDir), before)
			}
		})
	}
}

// TestSimilar is restic's skip rule field by field.
func TestSimilar(t *testing.T) {
	tree, other := format.Hash([]byte("tree")), format.Hash([]byte("other"))
	orig := format.Hash([]byte("orig"))
	now := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	base := func() *format.Snapshot {
		return &format.Snapshot{Time: now, Tree: &tree, Paths: []string{"/a", "/b"}, Hostname: "h", Username: "u",
			UID: 1, GID: 2, Tags: []string{"x", "y"}, Excludes: []string{"*.tmp", "*.log"}}
	}
	for _, c := range []struct {
		name string
		edit func(*format.Snapshot)
		want bool
	}{
		{"same", func(*format.Snapshot) {}, true},
		{"parent, original, version, summary differ", func(s *format.Snapshot) {
			s.Parent, s.Original, s.ProgramVersion, s.Summary = &other, &orig, "restic 0.17", &format.SnapshotSummary{FilesNew: 3}
		}, true},
		{"same time in another zone", func(s *format.Snapshot) { s.Time = now.In(time.FixedZone("x", 3600)) }, true},
		{"paths and tags reordered", func(s *format.Snapshot) { s.Paths, s.Tags = []string{"/b", "/a"}, []string{"y", "x"} }, true},
		{"time", func(s *format.Snapshot) { s.Time = now.Add(time.Nanosecond) }, false},
		{"tree", func(s *format.Snapshot) { s.Tree = &other }, false},
		{"host", func(s *format.Snapshot) { s.Hostname = "g" }, false},
		{"user", func(s *format.Snapshot) { s.Username = "v" }, false},
		{"uid", func(s *format.Snapshot) { s.UID = 9 }, false},
		{"gid", func(s *format.Snapshot) { s.GID = 9 }, false},
		{"a path more", func(s *format.Snapshot) { s.Paths = append(s.Paths, "/c") }, false},
		{"a tag less", func(s *format.Snapshot) { s.Tags = s.Tags[:1] }, false},
		{"another tag", func(s *format.Snapshot) { s.Tags = []string{"x", "z"} }, false},
		{"excludes reordered", func(s *format.Snapshot) { s.Excludes = []string{"*.log", "*.tmp"} }, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := base()
			c.edit(b)
			if got := snapcopy.Similar(base(), b); got != c.want {
				t.Errorf("Similar = %v, want %v", got, c.want)
			}
		})
	}
}

// TestSkipByOriginal: a destination snapshot is recognised as a copy by
// its ID or its original, whichever the source snapshot's persistent ID
// is, and only if it is similar; a copy of a copy keeps the first original.
func TestSkipByOriginal(t *testing.T) {
	data := t.TempDir()
	writeFile(t, filepath.Join(data, "f"), "content")
	src, _ := repotest.New(t, 2, repo.Options{})
	mid, _ := repotest.New(t, 2, repo.Options{})
	dst, _ := repotest.New(t, 2, repo.Options{})
	a := backup(t, src, data, "h")
	copyOne := func(from, to *repo.Repository, sn repo.Snapshot) snapcopy.Result {
		t.Helper()
		var res snapcopy.Result
		if _, err := snapcopy.Run(t.Context(), from, to, []repo.Snapshot{sn}, snapcopy.Options{Report: func(r snapcopy.Result) { res = r }}); err != nil {
			t.Fatal(err)
		}
		return res
	}
	load := func(r *repo.Repository, id format.ID) repo.Snapshot {
		t.Helper()
		sn, err := r.LoadSnapshot(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		return sn
	}
	inMid := load(mid, copyOne(src, mid, a).Copy)
	if res := copyOne(src, dst, a); res.Skipped {
		t.Fatal("a skipped in an empty destination")
	}
	// mid's copy of a is a in dst: its original is a, dst's copy's too.
	if res := copyOne(mid, dst, inMid); !res.Skipped {
		t.Errorf("the copy of a in mid was copied again: %+v", res)
	}
	// A copy of that copy names a as its original.
	dst2, _ := repotest.New(t, 2, repo.Options{})
	got := load(dst2, copyOne(mid, dst2, inMid).Copy)
	if got.Original == nil || *got.Original != a.ID {
		t.Fatalf("copy of a copy has original %v, want %s", got.Original, a.ID.Str())
	}
	// dst2's snapshot is recognised in src by its original: a.
	if res := copyOne(dst2, src, got); !res.Skipped {
		t.Errorf("a's copy copied back into src: %+v", res)
	}
	// A retagged a is another snapshot.
	doc := *a.Snapshot
	doc.Tags = []string{"new"}
	if res := copyOne(src, dst, repo.Snapshot{ID: a.ID, Snapshot: &doc}); res.Skipped {
		t.Error("a retagged a was skipped")
	}
}

func writeFile(t *testing.T, name, data string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSameRepository: a repository is not copied onto itself, however
// it was opened.
func TestSameRepository(t *testing.T) {
	r, dir := repotest.New(t, 2, repo.Options{})
	_, err := snapcopy.Run(t.Context(), r, open(t, dir, nil, repo.Options{}), nil, snapcopy.Options{})
	if !errors.Is(err, snapcopy.ErrSameRepository) {
		t.Fatalf("got %v, want ErrSameRepository", err)
	}
}

// TestMissingBlob: a source snapshot whose data pack is gone fails with
// the file and blob named, and the destination gets no snapshot for it,
// nor for those after it.
func TestMissingBlob(t *testing.T) {
	data := t.TempDir()
	writeFile(t, filepath.Join(data, "precious"), strings.Repeat("unique content ", 1000))
	src, srcDir := repotest.New(t, 2, repo.Options{})
	dst, _ := repotest.New(t, 2, repo.Options{})
	a := backup(t, src, data, "h")
	b := backup(t, src, t.TempDir(), "h")
	if err := src.LoadIndex(t.Context()); err != nil {
		t.Fatal(err)
	}
	h := format.BlobHandle{Type: format.DataBlob, ID: format.Hash([]byte(strings.Repeat("unique content ", 1000)))}
	loc, ok := src.Index().Lookup(h)
	if !ok {
		t.Fatal("the file's blob is not indexed")
	}
	if err := os.Remove(filepath.Join(srcDir, "data", loc.PackID.String()[:2], loc.PackID.String())); err != nil {
		t.Fatal(err)
	}
	_, err := snapcopy.Run(t.Context(), src, dst, []repo.Snapshot{a, b}, snapcopy.Options{})
	if err == nil || !strings.Contains(err.Error(), "precious") || !strings.Contains(err.Error(), h.ID.Str()) || !strings.Contains(err.Error(), a.ID.Str()) {
		t.Fatalf("got %v, want the snapshot, file and blob named", err)
	}
	if ids, err := dst.List(t.Context(), backend.SnapshotFile); err != nil || len(ids) != 0 {
		t.Fatalf("destination snapshots %v, %v; want none", ids, err)
	}
}

// cancelAfterPacks cancels a context once, after a snapshot file was
// saved, n more packs have been: the next snapshot's copy is cut off with
// some of its packs stored but not indexed.
type cancelAfterPacks struct {
	backend.Backend
	snapshotSaved atomic.Bool
	n             atomic.Int64
	cancel        context.CancelFunc
}

func (b *cancelAfterPacks) Save(ctx context.Context, h backend.Handle, rd backend.RewindReader) error {
	err := b.Backend.Save(ctx, h, rd)
	switch {
	case h.Type == backend.SnapshotFile:
		b.snapshotSaved.Store(true)
	case h.Type == backend.PackFile && b.snapshotSaved.Load() && b.n.Add(-1) == 0:
		b.cancel()
	}
	return err
}

// TestInterruptedCopy: a copy cancelled in its second snapshot, after some
// of its packs were stored, leaves the first snapshot (whose scope was
// indexed) and no file for the second; the next run skips the first,
// completes the second (copying again what was stored but not indexed)
// and the destination checks clean with every blob indexed once.
func TestInterruptedCopy(t *testing.T) {
	data := t.TempDir()
	writeFile(t, filepath.Join(data, "first"), strings.Repeat("first ", 10000))
	src, _ := repotest.New(t, 2, repo.Options{})
	_, dstDir := repotest.New(t, 2, repo.Options{})
	a := backup(t, src, data, "h")
	if err := os.Mkdir(filepath.Join(data, "more"), 0o755); err != nil {
		t.Fatal(err)
	}
	rng := rand.NewChaCha8([32]byte{1})
	for i := range 20 {
		b := make([]byte, 5000+i)
		_, _ = rng.Read(b)
		writeFile(t, filepath.Join(data, "more", fmt.Sprintf("f%02d", i)), string(b))
	}
	b := backup(t, src, data, "h")

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	cut := &cancelAfterPacks{cancel: cancel}
	cut.n.Store(3)
	// Small packs: b's blobs fill several.
	dst := open(t, dstDir, func(be backend.Backend) backend.Backend { cut.Backend = be; return cut }, repo.Options{PackSize: 4096, Uploads: 1})
	var copied []snapcopy.Result
	_, err := snapcopy.Run(ctx, src, dst, []repo.Snapshot{a, b}, snapcopy.Options{Readers: 1, Report: func(r snapcopy.Result) { copied = append(copied, r) }})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if len(copied) != 1 || copied[0].Source.ID != a.ID {
		t.Fatalf("copied %+v before the interruption, want only %s", copied, a.ID.Str())
	}
	dst = open(t, dstDir, nil, repo.Options{})
	if ids, _ := dst.List(t.Context(), backend.SnapshotFile); len(ids) != 1 {
		t.Fatalf("destination holds %d snapshots, want 1", len(ids))
	}

	sum, err := snapcopy.Run(t.Context(), src, dst, []repo.Snapshot{a, b}, snapcopy.Options{})
	if err != nil || sum.Copied != 1 || sum.Skipped != 1 {
		t.Fatalf("rerun: %+v, %v", sum, err)
	}
	dst = open(t, dstDir, nil, repo.Options{})
	rep := mustCheck(t, dst)
	if !strings.Contains(strings.Join(rep.Notices, "\n"), "not referenced") {
		t.Errorf("no pack of the interrupted copy is left unindexed (notices %q): the test cut nothing off", rep.Notices)
	}
	if err := dst.LoadIndex(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got, want := dst.Index().Count(), src.Index().Count(); got != want {
		t.Errorf("destination indexes %d blobs, the source %d: some are indexed twice or missing", got, want)
	}
}
