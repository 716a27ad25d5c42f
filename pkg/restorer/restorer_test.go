package restorer_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/fixture"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/restorer"
)

func backup(t *testing.T, src string) (*repo.Repository, format.ID) {
	t.Helper()
	r, tree, _ := backupWith(t, src, repo.Options{})
	return r, tree
}

// TestRestoreFixture restores the whole fixture and compares it strictly:
// content, modes, owners, times, symlinks, hardlink groups, fifo, names.
func TestRestoreFixture(t *testing.T) {
	src := t.TempDir()
	fixture.Build(t, src)
	r, tree := backup(t, src)
	dst := t.TempDir()
	st, err := restorer.Restore(t.Context(), r, tree, dst, restorer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fixture.Compare(t, src, filepath.Join(dst, src), fixture.CompareOptions{})
	if st.Links == 0 || st.Files == 0 {
		t.Fatalf("stats %+v: expected files and hardlinks", st)
	}
}

// TestRestoreProgress: the Progress callback sees the totals grow to
// the ones Restore returns, and knows what is planned before any content
// is written (what an ETA needs).
func TestRestoreProgress(t *testing.T) {
	src := t.TempDir()
	fixture.Build(t, src)
	r, tree := backup(t, src)
	var mu sync.Mutex
	var calls, maxFiles, early int
	var maxBytes, lastWritten uint64
	var shrank bool
	var planned restorer.Stats
	st, err := restorer.Restore(t.Context(), r, tree, t.TempDir(), restorer.Options{Progress: func(s restorer.Stats) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		maxFiles, maxBytes = max(maxFiles, s.Files), max(maxBytes, s.Bytes)
		shrank = shrank || s.Written < lastWritten
		lastWritten = s.Written
		if s.Written > 0 && s.PlannedBytes == 0 {
			early++
		}
		planned = s
	}})
	if err != nil {
		t.Fatal(err)
	}
	if calls < st.Files || maxFiles != st.Files || maxBytes != st.Bytes {
		t.Errorf("progress: %d calls, up to %d files and %d bytes; restore: %+v", calls, maxFiles, maxBytes, st)
	}
	if early > 0 || shrank {
		t.Errorf("progress: %d writes before the plan was known; written shrank: %v", early, shrank)
	}
	if planned.PlannedFiles != st.Files || planned.PlannedBytes != st.Bytes || lastWritten != st.Bytes || st.Bytes == 0 {
		t.Errorf("planned %d files, %d bytes, written %d; restored %d files, %d bytes",
			planned.PlannedFiles, planned.PlannedBytes, lastWritten, st.Files, st.Bytes)
	}
}

// TestRestorePlannedRefuses: an error from Planned ends the restore
// before any content is written, with the planned totals it was given.
func TestRestorePlannedRefuses(t *testing.T) {
	src := t.TempDir()
	fixture.Build(t, src)
	r, tree := backup(t, src)
	dst := t.TempDir()
	refused := errors.New("no room")
	var got restorer.Stats
	st, err := restorer.Restore(t.Context(), r, tree, dst, restorer.Options{Planned: func(s restorer.Stats) error {
		got = s
		return refused
	}})
	if !errors.Is(err, refused) {
		t.Fatalf("restore: %v, want the Planned error", err)
	}
	if got.PlannedFiles == 0 || got.PlannedBytes == 0 || got.Written != 0 || st.Written != 0 {
		t.Errorf("planned %+v, returned %+v: want totals and nothing written", got, st)
	}
	filepath.WalkDir(dst, func(p string, d os.DirEntry, err error) error {
		if info, ierr := d.Info(); err == nil && ierr == nil && info.Mode().IsRegular() && info.Size() > 0 {
			t.Errorf("%s has %d bytes after a refused restore", p, info.Size())
		}
		return err
	})
}

// TestRestoreInclude restores only what matches, and the directories on
// the way to it.
func TestRestoreInclude(t *testing.T) {
	src := t.TempDir()
	for _, p := range []string{"keep/a.txt", "keep/deep/b.txt", "skip/c.txt", "top.txt"} {
		full := filepath.Join(src, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r, tree := backup(t, src)
	dst := t.TempDir()
	if _, err := restorer.Restore(t.Context(), r, tree, dst, restorer.Options{Include: []string{src + "/keep"}}); err != nil {
		t.Fatal(err)
	}
	var got []string
	filepath.WalkDir(dst, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(filepath.Join(dst, src), p)
			got = append(got, rel)
		}
		return err
	})
	slices.Sort(got)
	if want := []string{"keep/a.txt", "keep/deep/b.txt"}; !slices.Equal(got, want) {
		t.Fatalf("restored %v, want %v", got, want)
	}
}
