package checker_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/local"
	"github.com/drydock-backup/drydock/pkg/checker"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/pack"
)

// corruption damages a copy of the base repository. The verdicts are
// checked for a structure-only check and with ReadData, and stock restic's
// `check --read-data` must agree on whether the repository is broken.
type corruption struct {
	name   string
	damage func(t *testing.T, f fixture) format.ID // returns the object it damaged
	// structural: found without ReadData; readData: found with it.
	structural, readData bool
	want                 func(t *testing.T, rep *checker.Report, damaged format.ID)
	resticFails          bool
	resticSays           string // substring of restic's output
	// resticArgs replace `check --read-data` where restic 0.14 would spend
	// ~45 s retrying a missing file (it retries even "no such file").
	resticArgs []string
	// resticKill stops restic after this long: when a tree's pack is gone,
	// restic reports the missing pack at once, then retries loading the
	// tree for ~45 s before failing. The verdict is its printed error.
	resticKill time.Duration
	// hints are restic 0.19's check --json summary fields for the damage:
	// the damaged object among broken_packs, suggest_repair_index,
	// suggest_prune.
	hints hints
}

type hints struct{ broken, repairIndex, prune bool }

func TestCorruptions(t *testing.T) {
	cases := []corruption{{
		name:   "clean",
		damage: func(*testing.T, fixture) format.ID { return format.ID{} },
		want: func(t *testing.T, rep *checker.Report, _ format.ID) {
			if len(rep.Notices) != 0 || rep.Snapshots != 3 || rep.Trees != 6 || rep.PacksRead != rep.Packs || rep.Packs < 10 ||
				checker.PacksReadWhole(rep) != 0 {
				t.Errorf("clean repository: %+v", rep)
			}
		},
		resticSays: "no errors were found",
	}, {
		name:  "flipped byte in a data pack",
		hints: hints{broken: true},
		damage: func(t *testing.T, f fixture) format.ID {
			id := f.dataPacks[0]
			modify(t, packPath(f.dir, id), func(b []byte) []byte { b[len(b)/3] ^= 0x01; return b })
			return id
		},
		readData: true,
		want: func(t *testing.T, rep *checker.Report, id format.ID) {
			requirePackErr(t, rep, id, checker.ErrPackHash, false)
			requirePackErr(t, rep, id, pack.ErrCorrupt, true)
			// One sentinel for damage in every layer.
			requirePackErr(t, rep, id, repo.ErrCorrupt, true)
		},
		resticFails: true, resticSays: "Pack ID does not match",
	}, {
		name:  "data pack truncated by one byte",
		hints: hints{broken: true},
		damage: func(t *testing.T, f fixture) format.ID {
			id := f.dataPacks[1]
			modify(t, packPath(f.dir, id), func(b []byte) []byte { return b[:len(b)-1] })
			return id
		},
		structural: true, readData: true,
		want: func(t *testing.T, rep *checker.Report, id format.ID) {
			requirePackErr(t, rep, id, checker.ErrPackSizeMismatch, false)
		},
		resticFails: true, resticSays: "unexpected file size",
	}, {
		name: "data pack deleted",
		damage: func(t *testing.T, f fixture) format.ID {
			id := f.dataPacks[2]
			remove(t, packPath(f.dir, id))
			return id
		},
		structural: true, readData: true,
		want: func(t *testing.T, rep *checker.Report, id format.ID) {
			requirePackErr(t, rep, id, checker.ErrPackMissing, false)
		},
		resticFails: true, resticSays: "does not exist", resticArgs: []string{"check"},
	}, {
		name:  "unreferenced copy of a pack",
		hints: hints{prune: true},
		damage: func(t *testing.T, f fixture) format.ID {
			data, err := os.ReadFile(packPath(f.dir, f.dataPacks[0]))
			if err != nil {
				t.Fatal(err)
			}
			var id format.ID
			_, _ = rand.Read(id[:])
			writeFile(t, packPath(f.dir, id), data)
			return id
		},
		want: func(t *testing.T, rep *checker.Report, id format.ID) {
			if len(rep.Notices) != 1 || !strings.Contains(rep.Notices[0], id.String()) {
				t.Errorf("notices %q, want one naming pack %v", rep.Notices, id)
			}
		},
		resticSays: "additional files",
	}, {
		name:  "pack described by two index files",
		hints: hints{repairIndex: true},
		damage: func(t *testing.T, f fixture) format.ID {
			doc, r := indexDoc(t, f, f.indexFiles[0])
			id, err := r.SaveUnpacked(t.Context(), backend.IndexFile, doc) // new IV, new name
			if err != nil {
				t.Fatal(err)
			}
			return id
		},
		want: func(t *testing.T, rep *checker.Report, id format.ID) {
			if len(rep.Notices) == 0 || !strings.Contains(rep.Notices[0], "contained in several indexes") ||
				!strings.Contains(rep.Notices[0], id.Str()) {
				t.Errorf("notices %q, want duplicate-pack notices naming index %v", rep.Notices, id.Str())
			}
		},
		resticSays: "contained in several indexes",
	}, {
		name:  "truncated index file",
		hints: hints{repairIndex: true, prune: true},
		damage: func(t *testing.T, f fixture) format.ID {
			id := f.indexFiles[0]
			modify(t, filepath.Join(f.dir, "index", id.String()), func(b []byte) []byte { return b[:len(b)-10] })
			return id
		},
		structural: true, readData: true,
		want: func(t *testing.T, rep *checker.Report, id format.ID) {
			if !hasErr[*checker.IndexError](rep, func(e *checker.IndexError) bool {
				return e.File == id && errors.Is(e, repo.ErrCorrupt) && errors.Is(e, pack.ErrCorrupt)
			}) {
				t.Errorf("no IndexError naming index file %v", id)
			}
			// Its packs are now unreferenced and its snapshot's blobs unknown.
			if len(rep.Notices) == 0 || !hasErr[*checker.TreeError](rep, func(e *checker.TreeError) bool {
				return errors.Is(e, repo.ErrBlobNotFound)
			}) {
				t.Errorf("want unreferenced-pack notices and missing blobs")
			}
		},
		resticFails: true, resticSays: "error loading index",
	}, {
		name: "tree pack deleted",
		damage: func(t *testing.T, f fixture) format.ID {
			id := f.treePacks[0]
			remove(t, packPath(f.dir, id))
			return id
		},
		structural: true, readData: true,
		want: func(t *testing.T, rep *checker.Report, id format.ID) {
			requirePackErr(t, rep, id, checker.ErrPackMissing, false)
			if !hasErr[*checker.TreeError](rep, func(e *checker.TreeError) bool {
				return errors.Is(e, backend.ErrNotExist) && e.Path == "/"
			}) {
				t.Errorf("no TreeError for the root tree of the damaged snapshot")
			}
		},
		resticFails: true, resticSays: "does not exist", resticArgs: []string{"check"}, resticKill: 4 * time.Second,
	}, {
		name:  "data pack dropped from the index",
		hints: hints{prune: true},
		damage: func(t *testing.T, f fixture) format.ID {
			id := f.dataPacks[3]
			dropFromIndex(t, f, id)
			return id
		},
		structural: true, readData: true,
		want: func(t *testing.T, rep *checker.Report, id format.ID) {
			if !hasErr[*checker.TreeError](rep, func(e *checker.TreeError) bool {
				return errors.Is(e, repo.ErrBlobNotFound) && strings.Contains(e.Err.Error(), `"/src/file`)
			}) {
				t.Errorf("no blob-not-found error with the file's path")
			}
			if len(rep.Notices) != 1 || !strings.Contains(rep.Notices[0], id.String()) {
				t.Errorf("notices %q, want pack %v unreferenced", rep.Notices, id)
			}
		},
		resticFails: true, resticSays: "not found in index",
	}, {
		name:  "index entry of a pack lacks its last blob",
		hints: hints{broken: true},
		damage: func(t *testing.T, f fixture) format.ID {
			id := f.dataPacks[4]
			rewriteIndex(t, f, func(idx *format.Index) bool {
				for i := range idx.Packs {
					if p := &idx.Packs[i]; p.ID == id {
						last := slices.IndexFunc(p.Blobs, func(b format.IndexBlob) bool {
							return !slices.ContainsFunc(p.Blobs, func(o format.IndexBlob) bool { return o.Offset > b.Offset })
						})
						p.Blobs = slices.Delete(p.Blobs, last, last+1)
						return true
					}
				}
				return false
			})
			return id
		},
		structural: true, readData: true,
		want: func(t *testing.T, rep *checker.Report, id format.ID) {
			requirePackErr(t, rep, id, checker.ErrPackSizeMismatch, false)
			requirePackErr(t, rep, id, checker.ErrHeaderMismatch, true)
		},
		resticFails: true, resticSays: "unexpected file size",
	}, {
		name: "garbage snapshot file",
		damage: func(t *testing.T, f fixture) format.ID {
			garbage := make([]byte, 300)
			_, _ = rand.Read(garbage)
			id := format.Hash(garbage)
			writeFile(t, filepath.Join(f.dir, "snapshots", id.String()), garbage)
			return id
		},
		structural: true, readData: true,
		want: func(t *testing.T, rep *checker.Report, id format.ID) {
			var se *checker.SnapshotError
			if len(rep.Errors) != 1 || !errors.As(rep.Errors[0], &se) || se.Snapshot != id {
				t.Errorf("errors %v, want one SnapshotError for %v", rep.Errors, id)
			}
		},
		resticFails: true, resticSays: "ciphertext verification failed",
	}}
	bin := testenv.RequireBinary(t, "restic")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := baseRepo(t)
			damaged := tc.damage(t, f)
			plain := check(t, f.dir, checker.Options{})
			full := check(t, f.dir, checker.Options{ReadData: true})
			if plain.OK() == tc.structural || full.OK() == tc.readData {
				t.Fatalf("found without ReadData: %v (want %v), with: %v (want %v)\n%s\n%s",
					!plain.OK(), tc.structural, !full.OK(), tc.readData, printed(plain), printed(full))
			}
			tc.want(t, full, damaged)
			checkHints(t, full, damaged, tc.hints)
			if t.Failed() {
				t.Logf("report:\n%s", printed(full))
			}
			args := tc.resticArgs
			if args == nil {
				args = []string{"check", "--read-data"}
			}
			ctx := t.Context()
			if tc.resticKill > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.resticKill)
				defer cancel()
			}
			out, err := restic(ctx, bin, f.dir, args...)
			t.Logf("restic %s: %v\n%s", strings.Join(args, " "), err, out)
			if (err != nil) != tc.resticFails || !strings.Contains(out, tc.resticSays) {
				t.Errorf("restic %s: %v (want failure: %v, saying %q)\n%s", strings.Join(args, " "), err, tc.resticFails, tc.resticSays, out)
			}
		})
	}
}

// checkHints compares the report's restic-style summary with want.
func checkHints(t *testing.T, rep *checker.Report, damaged format.ID, want hints) {
	t.Helper()
	broken := rep.BrokenPacks()
	if got := slices.Contains(broken, damaged); got != want.broken || (!want.broken && len(broken) > 0) {
		t.Errorf("broken packs %v: want %v among them: %v, and no other", broken, damaged.Str(), want.broken)
	}
	if rep.SuggestRepairIndex() != want.repairIndex || rep.SuggestPrune() != want.prune {
		t.Errorf("suggest repair index %v, prune %v; want %v, %v", rep.SuggestRepairIndex(), rep.SuggestPrune(), want.repairIndex, want.prune)
	}
}

func printed(rep *checker.Report) string {
	var b bytes.Buffer
	rep.Print(&b)
	return b.String()
}

func hasErr[E error](rep *checker.Report, pred func(E) bool) bool {
	for _, err := range rep.Errors {
		var e E
		if errors.As(err, &e) && pred(e) {
			return true
		}
	}
	return false
}

func requirePackErr(t *testing.T, rep *checker.Report, id format.ID, target error, blob bool) {
	t.Helper()
	if !hasErr[*checker.PackError](rep, func(e *checker.PackError) bool {
		return e.Pack == id && errors.Is(e, target) && (e.Blob != nil) == blob
	}) {
		t.Errorf("no PackError for %v matching %v (blob: %v); errors: %v", id.Str(), target, blob, rep.Errors)
	}
}

// modify rewrites a (read-only) repository file.
func modify(t *testing.T, path string, fn func([]byte) []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, fn(data))
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(path, 0o600) // restic's local backend stores files 0400
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func remove(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

// indexDoc returns the JSON of an index file and the opened repository.
func indexDoc(t *testing.T, f fixture, file format.ID) ([]byte, *repo.Repository) {
	t.Helper()
	r := openRepo(t, f.dir)
	doc, err := r.LoadUnpacked(t.Context(), backend.IndexFile, file)
	if err != nil {
		t.Fatal(err)
	}
	return doc, r
}

// A pack described differently by two index files is an error (restic
// 0.19+; 0.14 only hints at the duplicate).
func TestPackDescribedDifferently(t *testing.T) {
	f := baseRepo(t)
	doc, r := indexDoc(t, f, f.indexFiles[0])
	idx, err := format.DecodeIndex(doc, r.Config().Version)
	if err != nil {
		t.Fatal(err)
	}
	p := &idx.Packs[0]
	p.Blobs[0].Length++ // claims a longer blob: overlaps its neighbour or changes the size
	if doc, err = format.EncodeIndex(idx); err != nil {
		t.Fatal(err)
	}
	if _, err := r.SaveUnpacked(t.Context(), backend.IndexFile, doc); err != nil {
		t.Fatal(err)
	}
	rep := check(t, f.dir, checker.Options{})
	if !hasErr[*checker.PackError](rep, func(e *checker.PackError) bool {
		return e.Pack == p.ID && errors.Is(e, checker.ErrIndexInconsistent)
	}) {
		t.Fatalf("no inconsistency error for pack %v:\n%s", p.ID.Str(), printed(rep))
	}
}

func TestCancelled(t *testing.T) {
	f := baseRepo(t)
	r := openRepo(t, f.dir)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if rep, err := checker.Check(ctx, r, checker.Options{ReadData: true}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Check with a cancelled context: %v, %v", rep, err)
	}
}

// rewriteIndex replaces the index file in which edit changes something by
// the edited version, as a buggy prune might.
func rewriteIndex(t *testing.T, f fixture, edit func(*format.Index) bool) {
	t.Helper()
	for _, file := range f.indexFiles {
		doc, r := indexDoc(t, f, file)
		idx, err := format.DecodeIndex(doc, r.Config().Version)
		if err != nil {
			t.Fatal(err)
		}
		if !edit(idx) {
			continue
		}
		if doc, err = format.EncodeIndex(idx); err != nil {
			t.Fatal(err)
		}
		if _, err := r.SaveUnpacked(t.Context(), backend.IndexFile, doc); err != nil {
			t.Fatal(err)
		}
		remove(t, filepath.Join(f.dir, "index", file.String()))
		return
	}
	t.Fatal("no index file was edited")
}

func dropFromIndex(t *testing.T, f fixture, pack format.ID) {
	t.Helper()
	rewriteIndex(t, f, func(idx *format.Index) bool {
		n := len(idx.Packs)
		idx.Packs = slices.DeleteFunc(idx.Packs, func(p format.IndexPack) bool { return p.ID == pack })
		return len(idx.Packs) != n
	})
}

func TestReportJSON(t *testing.T) {
	f := baseRepo(t)
	remove(t, packPath(f.dir, f.dataPacks[0]))
	rep := check(t, f.dir, checker.Options{})
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		OK     bool `json:"ok"`
		Errors []struct {
			Kind, Pack string
		} `json:"errors"`
		// restic 0.19's summary
		MessageType        *string   `json:"message_type"`
		NumErrors          *int      `json:"num_errors"`
		BrokenPacks        *[]string `json:"broken_packs"`
		SuggestRepairIndex *bool     `json:"suggest_repair_index"`
		SuggestPrune       *bool     `json:"suggest_prune"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.OK || len(got.Errors) != 1 || got.Errors[0].Kind != "pack" || got.Errors[0].Pack != f.dataPacks[0].String() {
		t.Fatalf("JSON report: %s", b)
	}
	if got.MessageType == nil || *got.MessageType != "summary" || got.NumErrors == nil || *got.NumErrors != 1 ||
		got.BrokenPacks == nil || len(*got.BrokenPacks) != 0 || got.SuggestRepairIndex == nil || got.SuggestPrune == nil {
		t.Fatalf("JSON report lacks restic's summary (summary, 1 error, no broken pack, both suggestions): %s", b)
	}
	if s := printed(rep); !strings.Contains(s, "repository contains errors") || !strings.Contains(s, f.dataPacks[0].String()) {
		t.Fatalf("printed report:\n%s", s)
	}
}

// TestReadErrorIsNotDamage: a tree pack that cannot be read (here a
// directory where the file should be: EISDIR, not a missing or damaged
// file) ends the check with an error of the run; it is not reported as a
// damaged tree.
func TestReadErrorIsNotDamage(t *testing.T) {
	f := baseRepo(t)
	p := packPath(f.dir, f.treePacks[0])
	remove(t, p)
	if err := os.Mkdir(p, 0o700); err != nil {
		t.Fatal(err)
	}
	rep, err := checker.Check(t.Context(), openRepo(t, f.dir), checker.Options{})
	if err == nil || !strings.Contains(err.Error(), "read tree") {
		t.Fatalf("check with an unreadable tree pack: %v, want a read error", err)
	}
	if rep == nil {
		return
	}
	for _, e := range rep.Errors {
		var te *checker.TreeError
		if errors.As(e, &te) {
			t.Errorf("a read error reported as a damaged tree: %v", e)
		}
	}
}

// failingLoads is the local backend, except that loading one file fails
// with an I/O error, as a disk or a remote store can: the local backend
// lists a file it cannot read only in such a case.
type failingLoads struct {
	backend.Backend
	name string
}

func (f failingLoads) Load(ctx context.Context, h backend.Handle, length int, offset int64, fn func(io.Reader) error) error {
	if h.Name == f.name {
		return &os.PathError{Op: "read", Path: h.Name, Err: syscall.EIO}
	}
	return f.Backend.Load(ctx, h, length, offset, fn)
}

// TestPackReadErrorIsNotDamage: a data pack that cannot be downloaded for
// --read-data (EIO) is reported as not verified, not as damage, and the
// other packs are still read.
func TestPackReadErrorIsNotDamage(t *testing.T) {
	f := baseRepo(t)
	be, err := local.Open(t.Context(), f.dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := repo.Open(t.Context(), failingLoads{be, f.dataPacks[0].String()}, password, repo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := checker.Check(t.Context(), r, checker.Options{ReadData: true})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || len(rep.Unread) != 1 || rep.Complete() {
		t.Fatalf("errors %v, unread %v; want no error and one unread pack", rep.Errors, rep.Unread)
	}
	if !strings.Contains(rep.Unread[0].Error(), f.dataPacks[0].String()) || !errors.Is(rep.Unread[0], syscall.EIO) {
		t.Errorf("unread %v: want pack %v and EIO", rep.Unread[0], f.dataPacks[0])
	}
	if rep.PacksRead != rep.Packs-1 {
		t.Errorf("read %d of %d packs; want all but the unreadable one", rep.PacksRead, rep.Packs)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"ok":false`) || !strings.Contains(string(b), `"unread":[{"kind":"pack"`) {
		t.Errorf("JSON report: %s", b)
	}
	if s := printed(rep); !strings.Contains(s, "not verified: pack") || !strings.Contains(s, "1 packs could not be read") || strings.Contains(s, "repository contains errors") {
		t.Errorf("printed report:\n%s", s)
	}
}

// TestIndexAndSnapshotReadErrorsAreNotDamage: an index or snapshot file
// that cannot be read (EIO) ends the check with an error of the run that
// names it; it is not reported as a damaged file.
func TestIndexAndSnapshotReadErrorsAreNotDamage(t *testing.T) {
	f := baseRepo(t)
	for _, tc := range []struct {
		ft   backend.FileType
		want string
	}{
		{backend.IndexFile, "read index"},
		{backend.SnapshotFile, "read snapshot"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			ids, err := openRepo(t, f.dir).List(t.Context(), tc.ft)
			if err != nil || len(ids) == 0 {
				t.Fatalf("list: %v, %d files", err, len(ids))
			}
			be, err := local.Open(t.Context(), f.dir)
			if err != nil {
				t.Fatal(err)
			}
			r, err := repo.Open(t.Context(), failingLoads{be, ids[0].String()}, password, repo.Options{})
			if err != nil {
				t.Fatal(err)
			}
			rep, err := checker.Check(t.Context(), r, checker.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want+" "+ids[0].Str()) || !errors.Is(err, syscall.EIO) {
				t.Fatalf("check: %v, want %q naming %v and EIO", err, tc.want, ids[0].Str())
			}
			if rep != nil && !rep.OK() {
				t.Errorf("a read error reported as damage: %v", rep.Errors)
			}
		})
	}
}
