package verify

import (
	"context"
	"errors"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/fixture"
	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/pkg/archiver"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// TestRestoreTestFindsDamage alters the restore between the restore and
// the comparison, one way per case, and checks that the verification fails
// with a mismatch of the right kind naming the altered entry. Adding or
// removing an entry also changes its directory's mtime, so mismatches may
// name the entry and its parent, nothing else.
func TestRestoreTestFindsDamage(t *testing.T) {
	src := t.TempDir()
	fixture.Build(t, src)
	r, tree := backupInternal(t, src)
	tests := []struct {
		name  string
		rel   string // entry altered, relative to the fixture root
		kind  Kind
		alter func(t *testing.T, p string)
		want  string // substring of the mismatch's Want
	}{
		{"byte flipped in a big file", "data/random-20MiB", WrongContent, func(t *testing.T, p string) {
			f, err := os.OpenFile(p, os.O_RDWR, 0)
			check(t, err)
			_, err = f.WriteAt([]byte{'!'}, 10<<20)
			check(t, errors.Join(err, f.Close()))
		}, "blob "},
		{"truncated", "data/text-3MiB", WrongSize, func(t *testing.T, p string) { check(t, os.Truncate(p, 1000)) }, "3145728 bytes"},
		{"bytes appended", "data/small.txt", WrongSize, func(t *testing.T, p string) { appendTo(t, p, "more") }, "14 bytes"},
		{"file removed", "data/private", Missing, func(t *testing.T, p string) { check(t, os.Remove(p)) }, "file"},
		{"file added", "deep/a/b/intruder", Extra, func(t *testing.T, p string) { check(t, os.WriteFile(p, nil, 0o644)) }, ""},
		{"file turned into a directory", "data/zero", WrongType, func(t *testing.T, p string) {
			check(t, os.Remove(p))
			check(t, os.Mkdir(p, 0o755))
		}, "file"},
		{"mode changed", "modes/setuid", WrongMode, func(t *testing.T, p string) { check(t, os.Chmod(p, 0o755)) }, "04755"},
		{"mtime changed", "deep/a/b/c/leaf", WrongModTime, func(t *testing.T, p string) {
			check(t, os.Chtimes(p, time.Time{}, time.Unix(1e9, 0)))
		}, ""},
		{"symlink retargeted", "links/relative", WrongLink, func(t *testing.T, p string) {
			check(t, os.Remove(p))
			check(t, os.Symlink("../data/private", p))
		}, `"../data/small.txt"`},
		{"hardlink broken", "links/pair2", NotHardlinked, func(t *testing.T, p string) {
			b, err := os.ReadFile(p)
			check(t, err)
			check(t, os.Remove(p))
			check(t, os.WriteFile(p, b, 0o600))
		}, "links/pair1"},
		{"odd name altered", "names/new\nline", WrongSize, func(t *testing.T, p string) { appendTo(t, p, "x") }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scratch := t.TempDir()
			target := path.Join(src, tt.rel)
			opts := Options{afterRestore: func(dir string) error {
				tt.alter(t, filepath.Join(dir, target))
				return nil
			}}
			rep, err := RestoreTest(t.Context(), r, tree, scratch, opts)
			var first *Mismatch
			if !errors.Is(err, ErrMismatch) || !errors.As(err, &first) {
				t.Fatalf("err %v, want a mismatch", err)
			}
			found := false
			for _, m := range rep.Mismatches {
				if m.Path == target && m.Kind == tt.kind && strings.Contains(m.Want, tt.want) {
					found = true
				}
				if m.Path != target && m.Path != path.Dir(target) {
					t.Errorf("unexpected mismatch %v", m)
				}
			}
			if !found || rep.MismatchCount != len(rep.Mismatches) {
				t.Errorf("mismatches %q (count %d), want a %s mismatch at %q", rep.Mismatches, rep.MismatchCount, tt.kind, target)
			}
			// Data differences come first: the error names the entry.
			if first.Path != target || !strings.Contains(err.Error(), first.Error()) {
				t.Errorf("error %q does not lead with the altered entry", err)
			}
			assertEmptyDir(t, scratch)
		})
	}
}

// TestRestoreTestCancelledDuringCompare: cancellation after the restore
// stops the comparison; the scratch restore is removed all the same.
func TestRestoreTestCancelledDuringCompare(t *testing.T) {
	src := t.TempDir()
	fixture.Build(t, src)
	r, tree := backupInternal(t, src)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	scratch := t.TempDir()
	_, err := RestoreTest(ctx, r, tree, scratch, Options{afterRestore: func(string) error { cancel(); return nil }})
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrMismatch) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	assertEmptyDir(t, scratch)
}

// TestRemoveTreeReadOnlyDirs: the scratch restore goes away even when it
// holds directories without write or search permission (what an
// unprivileged process cannot otherwise empty).
func TestRemoveTreeReadOnlyDirs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "restore")
	check(t, os.MkdirAll(filepath.Join(dir, "ro", "locked"), 0o755))
	check(t, os.WriteFile(filepath.Join(dir, "ro", "locked", "f"), []byte("x"), 0o400))
	check(t, os.Chmod(filepath.Join(dir, "ro", "locked"), 0))
	check(t, os.Chmod(filepath.Join(dir, "ro"), 0o555))
	if err := removeTree(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s still exists: %v", dir, err)
	}
}

func TestKindStrings(t *testing.T) {
	for k := Missing; k <= NotHardlinked; k++ {
		if s := k.String(); strings.HasPrefix(s, "kind(") {
			t.Errorf("kind %d has no name", k)
		}
	}
	if s := Kind(0).String(); s != "kind(0)" {
		t.Errorf("Kind(0) = %q", s)
	}
}

func backupInternal(t *testing.T, src string) (*repo.Repository, format.ID) {
	t.Helper()
	r, _ := repotest.New(t, 2, repo.Options{})
	var res archiver.Result
	_, err := r.WithBlobSaver(t.Context(), func(ctx context.Context, s *repo.BlobSaver) error {
		var err error
		res, err = archiver.Save(ctx, r, s, []string{src}, nil, archiver.Options{})
		return err
	})
	check(t, err)
	check(t, r.LoadIndex(t.Context()))
	return r, res.Tree
}

func appendTo(t *testing.T, p, s string) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	check(t, err)
	_, err = f.WriteString(s)
	check(t, errors.Join(err, f.Close()))
}

func assertEmptyDir(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	check(t, err)
	if len(entries) != 0 {
		t.Errorf("scratch directory holds %v after the verification", entries)
	}
}

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
