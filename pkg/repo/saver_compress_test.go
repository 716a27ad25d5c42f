package repo_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/compress"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// compressionBlobs are a random blob zstd cannot shrink and a text blob it
// can, both larger than the probe's minimum.
func compressionBlobs() (random, text []byte) {
	random = make([]byte, 300<<10)
	_, _ = rand.NewChaCha8([32]byte{'z'}).Read(random)
	var b bytes.Buffer
	for i := 0; b.Len() < 300<<10; i++ {
		fmt.Fprintf(&b, "line %d of a log file that compresses well\n", i)
	}
	return random, b.Bytes()
}

// storedCompressed reports whether the index has blob id as compressed.
func storedCompressed(t *testing.T, r *repo.Repository, id format.ID) bool {
	t.Helper()
	loc, ok := r.Index().Lookup(format.BlobHandle{ID: id, Type: format.DataBlob})
	if !ok {
		t.Fatalf("blob %v not in the index", id.Str())
	}
	return loc.UncompressedLength != 0
}

// TestSaverSkipsCompressionOfIncompressibleBlobs: in mode auto a data blob
// zstd cannot shrink is stored as it is, a compressible one compressed;
// mode max, and prune's repacking, compress both. Each blob loads back.
func TestSaverSkipsCompressionOfIncompressibleBlobs(t *testing.T) {
	random, text := compressionBlobs()
	for _, tc := range []struct {
		mode                 compress.Mode
		repack               bool
		wantRandom, wantText bool
	}{
		{compress.ModeAuto, false, false, true},
		{compress.ModeMax, false, true, true},
		{compress.ModeOff, false, false, false},
		{compress.ModeAuto, true, true, true},
	} {
		t.Run(fmt.Sprintf("%v repack=%v", tc.mode, tc.repack), func(t *testing.T) {
			r, dir := newLocalRepo(t, 2, repo.Options{Compression: tc.mode})
			save := func(ctx context.Context, s *repo.BlobSaver) error {
				for _, b := range [][]byte{random, text} {
					if _, _, err := s.SaveBlob(ctx, format.DataBlob, b); err != nil {
						return err
					}
				}
				return nil
			}
			if tc.repack {
				added, _, err := r.WithRepackSaver(t.Context(), save)
				if err != nil {
					t.Fatal(err)
				}
				for _, b := range [][]byte{random, text} {
					loc, ok := added.Lookup(format.BlobHandle{ID: format.Hash(b), Type: format.DataBlob})
					if !ok || loc.UncompressedLength == 0 {
						t.Fatalf("repacked blob stored uncompressed (%v, %+v)", ok, loc)
					}
				}
				return
			}
			if _, err := r.WithBlobSaver(t.Context(), save); err != nil {
				t.Fatal(err)
			}
			r2 := openWithOptions(t, dir, repo.Options{})
			if err := r2.LoadIndex(t.Context()); err != nil {
				t.Fatal(err)
			}
			if got := storedCompressed(t, r2, format.Hash(random)); got != tc.wantRandom {
				t.Errorf("random blob stored compressed: %v, want %v", got, tc.wantRandom)
			}
			if got := storedCompressed(t, r2, format.Hash(text)); got != tc.wantText {
				t.Errorf("text blob stored compressed: %v, want %v", got, tc.wantText)
			}
			for _, b := range [][]byte{random, text} {
				got, err := r2.LoadBlob(t.Context(), format.DataBlob, format.Hash(b), nil)
				if err != nil || !bytes.Equal(got, b) {
					t.Fatalf("load %v: %v", format.Hash(b).Str(), err)
				}
			}
		})
	}
}

// TestResticChecksUncompressedBlobs has restic read and check a version 2
// repository in which the saver stored some data blobs uncompressed.
func TestResticChecksUncompressedBlobs(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	r, dir := newLocalRepo(t, 2, repo.Options{})
	random, text := compressionBlobs()
	var root format.ID
	_, err := r.WithBlobSaver(t.Context(), func(ctx context.Context, s *repo.BlobSaver) error {
		var content format.IDs
		for _, b := range [][]byte{random, text} {
			id, _, err := s.SaveBlob(ctx, format.DataBlob, b)
			if err != nil {
				return err
			}
			content = append(content, id)
		}
		now := time.Now()
		file := &format.Node{Name: "mixed", Type: format.NodeFile, Mode: 0o644, ModTime: now, AccessTime: now, ChangeTime: now,
			Size: uint64(len(random) + len(text)), Content: content}
		tree, err := format.EncodeTree([]*format.Node{file})
		if err != nil {
			return err
		}
		root, _, err = s.SaveBlob(ctx, format.TreeBlob, tree)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if storedCompressed(t, r, format.Hash(random)) {
		t.Fatal("the random blob was compressed; this test needs it stored as it is")
	}
	if _, err := r.SaveSnapshot(t.Context(), &format.Snapshot{Time: time.Now(), Tree: &root, Paths: []string{"/x"}, Hostname: "test"}); err != nil {
		t.Fatal(err)
	}
	if out := runRestic(t, bin, dir, "check", "--read-data"); !bytes.Contains([]byte(out), []byte("no errors were found")) {
		t.Fatalf("restic check: %s", out)
	}
	target := t.TempDir()
	runRestic(t, bin, dir, "restore", "latest", "--target", target)
	got, err := os.ReadFile(filepath.Join(target, "mixed"))
	if err != nil || !bytes.Equal(got, append(append([]byte{}, random...), text...)) {
		t.Fatalf("restic restored the file differently (%v)", err)
	}
}
