package repo_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/local"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// TestRepackSaver: WithRepackSaver stores blobs the index already has,
// each once, writes no index file, leaves the repository's index alone and
// returns the index of the new packs, whose blobs load back intact.
func TestRepackSaver(t *testing.T) {
	r, dir := newLocalRepo(t, 2, repo.Options{PackSize: 64 << 10})
	blobs := saveBlobs(t, r, 50, 4000)
	indexFiles, _ := r.List(t.Context(), backend.IndexFile)
	packsBefore, _ := r.List(t.Context(), backend.PackFile)
	count := r.Index().Count()

	added, st, err := r.WithRepackSaver(t.Context(), func(ctx context.Context, s *repo.BlobSaver) error {
		for id, b := range blobs {
			for range 2 { // the second save of a blob is a no-op
				if _, err := s.SaveBlobID(ctx, format.DataBlob, id, b); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if added.Count() != len(blobs) || st.DataBlobs != len(blobs) {
		t.Fatalf("repack saver stored %d blobs (stats %+v), want %d", added.Count(), st, len(blobs))
	}
	if got := r.Index().Count(); got != count {
		t.Fatalf("the repository index changed: %d entries, had %d", got, count)
	}
	if ids, _ := r.List(t.Context(), backend.IndexFile); len(ids) != len(indexFiles) {
		t.Fatalf("%d index files, had %d: the repack saver must not write any", len(ids), len(indexFiles))
	}
	if ids, _ := r.List(t.Context(), backend.PackFile); len(ids) != len(packsBefore)+added.PackCount() {
		t.Fatalf("%d packs, want %d + %d new", len(ids), len(packsBefore), added.PackCount())
	}
	// The new packs hold every blob: load each through an index made of
	// them alone.
	doc, err := added.EncodeJSON(0)
	if err != nil {
		t.Fatal(err)
	}
	fresh := openWithOptions(t, dir, repo.Options{})
	for _, d := range doc {
		if _, err := fresh.SaveUnpacked(t.Context(), backend.IndexFile, d); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range indexFiles {
		if err := fresh.Backend().Remove(t.Context(), backend.Handle{Type: backend.IndexFile, Name: id.String()}); err != nil {
			t.Fatal(err)
		}
	}
	if err := fresh.LoadIndex(t.Context()); err != nil {
		t.Fatal(err)
	}
	for id, want := range blobs {
		got, err := fresh.LoadBlob(t.Context(), format.DataBlob, id, nil)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("blob %v from the new packs: %v", id.Str(), err)
		}
	}
}

// failingPacks is a backend whose pack uploads fail.
type failingPacks struct{ backend.Backend }

var errUploadFailed = errors.New("upload failed (test)")

func (f failingPacks) Save(ctx context.Context, h backend.Handle, rd backend.RewindReader) error {
	if h.Type == backend.PackFile {
		return errUploadFailed
	}
	return f.Backend.Save(ctx, h, rd)
}

// TestSaverReportsUploadError: when an upload fails, the saver returns
// that error, not the "context canceled" that the caller's function sees
// as a consequence (which would read as an interruption).
func TestSaverReportsUploadError(t *testing.T) {
	_, dir := newLocalRepo(t, 2, repo.Options{})
	be, err := local.Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := repo.Open(t.Context(), failingPacks{be}, password, repo.Options{PackSize: 4 << 10})
	if err != nil {
		t.Fatal(err)
	}
	noise := make([]byte, 8<<10) // incompressible: one blob fills a pack
	for i := range noise {
		noise[i] = byte(rand.Uint32())
	}
	fn := func(ctx context.Context, s *repo.BlobSaver) error {
		if _, _, err := s.SaveBlob(ctx, format.DataBlob, noise); err != nil {
			return err
		}
		select {
		case <-ctx.Done(): // the failed upload cancels the saver's context
			return ctx.Err()
		case <-time.After(time.Minute):
			return errors.New("the failed upload did not cancel the saver's context")
		}
	}
	_, err = r.WithBlobSaver(t.Context(), fn)
	if !errors.Is(err, errUploadFailed) || errors.Is(err, context.Canceled) {
		t.Fatalf("WithBlobSaver: %v, want the upload error", err)
	}
	_, _, err = r.WithRepackSaver(t.Context(), fn)
	if !errors.Is(err, errUploadFailed) || errors.Is(err, context.Canceled) {
		t.Fatalf("WithRepackSaver: %v, want the upload error", err)
	}
}
