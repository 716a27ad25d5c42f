package repo_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/local"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/crypto"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// cheapKDF keeps tests fast; restic reads whatever parameters are stored.
var cheapKDF = crypto.Params{N: 1024, R: 8, P: 1}

func newLocalRepo(t *testing.T, version uint, opts repo.Options) (*repo.Repository, string) {
	t.Helper()
	dir := t.TempDir() + "/repo"
	be, err := local.Create(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := repo.Init(t.Context(), be, password, repo.InitOptions{Version: version, KDF: cheapKDF}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r, dir
}

func openLocal(t *testing.T, dir, pw string) (*repo.Repository, error) {
	t.Helper()
	be, err := local.Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return repo.Open(t.Context(), be, pw, repo.Options{})
}

func TestInitOpen(t *testing.T) {
	r, dir := newLocalRepo(t, 0, repo.Options{})
	if r.Config().Version != format.Version2 {
		t.Fatalf("new repository has version %d, want 2", r.Config().Version)
	}
	r2, err := openLocal(t, dir, password)
	if err != nil {
		t.Fatal(err)
	}
	if r2.Config() != r.Config() {
		t.Fatalf("reopened config %+v, want %+v", r2.Config(), r.Config())
	}
	if _, err := openLocal(t, dir, "wrong"); !errors.Is(err, repo.ErrWrongPassword) {
		t.Fatalf("wrong password: %v, want ErrWrongPassword", err)
	}
	be, _ := local.Open(t.Context(), dir)
	if _, err := repo.Init(t.Context(), be, password, repo.InitOptions{KDF: cheapKDF}, repo.Options{}); !errors.Is(err, repo.ErrAlreadyExists) {
		t.Fatalf("second init: %v, want ErrAlreadyExists", err)
	}
	empty, err := local.Create(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Open(t.Context(), empty, password, repo.Options{}); !errors.Is(err, repo.ErrNoRepository) {
		t.Fatalf("open of an empty directory: %v, want ErrNoRepository", err)
	}
}

// saveBlobs stores n random blobs of up to max bytes from several
// goroutines and returns them by ID.
func saveBlobs(t *testing.T, r *repo.Repository, n, maxSize int) map[format.ID][]byte {
	t.Helper()
	rnd := rand.New(rand.NewPCG(1, 2))
	blobs := map[format.ID][]byte{}
	var data [][]byte
	for range n {
		b := make([]byte, rnd.IntN(maxSize))
		for i := range b {
			b[i] = byte(rnd.IntN(7)) // compressible
		}
		data = append(data, b, b) // every blob twice: dedup must hold
	}
	_, err := r.WithBlobSaver(t.Context(), func(ctx context.Context, s *repo.BlobSaver) error {
		errs := make(chan error, 4)
		for w := range 4 {
			go func() {
				for i := w; i < len(data); i += 4 {
					if _, _, err := s.SaveBlob(ctx, format.DataBlob, data[i]); err != nil {
						errs <- err
						return
					}
				}
				errs <- nil
			}()
		}
		for range 4 {
			if err := <-errs; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range data {
		blobs[format.Hash(b)] = b
	}
	return blobs
}

func TestBlobSaverRoundTrip(t *testing.T) {
	for _, v := range []uint{1, 2} {
		t.Run(fmt.Sprint("v", v), func(t *testing.T) {
			r, dir := newLocalRepo(t, v, repo.Options{PackSize: 64 << 10})
			blobs := saveBlobs(t, r, 300, 4000)
			r2, err := openLocal(t, dir, password)
			if err != nil {
				t.Fatal(err)
			}
			if err := r2.LoadIndex(t.Context()); err != nil {
				t.Fatal(err)
			}
			if got := r2.Index().Count(); got != len(blobs) {
				t.Fatalf("index has %d blobs, want %d (each stored once)", got, len(blobs))
			}
			for id, want := range blobs {
				got, err := r2.LoadBlob(t.Context(), format.DataBlob, id, nil)
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("blob %v: %v", id.Str(), err)
				}
			}
			packs, _ := r2.List(t.Context(), backend.PackFile)
			if len(packs) < 2 {
				t.Fatalf("%d packs; the small pack size should give several", len(packs))
			}
		})
	}
}

// TestResticChecksSaverOutput has restic judge packs, index files and a
// snapshot written through the repository layer.
func TestResticChecksSaverOutput(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	r, dir := newLocalRepo(t, 2, repo.Options{PackSize: 64 << 10})
	blobs := saveBlobs(t, r, 200, 3000)
	var content format.IDs
	var size uint64
	for id, b := range blobs {
		content = append(content, id)
		size += uint64(len(b))
	}
	now := time.Now()
	file := &format.Node{Name: "all", Type: format.NodeFile, Mode: 0o644, ModTime: now, AccessTime: now, ChangeTime: now, Size: size, Content: content}
	var root format.ID
	_, err := r.WithBlobSaver(t.Context(), func(ctx context.Context, s *repo.BlobSaver) error {
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
	if _, err := r.SaveSnapshot(t.Context(), &format.Snapshot{Time: now, Tree: &root, Paths: []string{"/x"}, Hostname: "test"}); err != nil {
		t.Fatal(err)
	}
	out := runRestic(t, bin, dir, "check", "--read-data")
	if !bytes.Contains([]byte(out), []byte("no errors were found")) {
		t.Fatalf("restic check: %s", out)
	}
}

func TestLocks(t *testing.T) {
	r, dir := newLocalRepo(t, 2, repo.Options{})
	shared1 := repotest.HoldLock(t, r, false)
	r2, err := openLocal(t, dir, password)
	if err != nil {
		t.Fatal(err)
	}
	shared2 := repotest.HoldLock(t, r2, false) // two non-exclusive locks coexist
	var le *repo.LockedError
	if err := r2.WithLock(t.Context(), repo.LockMode{Exclusive: true}, noWork); !errors.As(err, &le) || !errors.Is(err, repo.ErrLocked) {
		t.Fatalf("exclusive lock over shared ones: %v, want a LockedError", err)
	}
	if err := errors.Join(shared1(), shared2()); err != nil {
		t.Fatal(err)
	}
	err = r.WithLock(t.Context(), repo.LockMode{Exclusive: true}, func(context.Context, *repo.Lock) error {
		if err := r2.WithLock(t.Context(), repo.LockMode{}, noWork); !errors.Is(err, repo.ErrLocked) {
			t.Fatalf("shared lock under an exclusive one: %v, want ErrLocked", err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("exclusive lock after unlock: %v", err)
	}
	if ids, _ := r.List(t.Context(), backend.LockFile); len(ids) != 0 {
		t.Fatalf("%d lock files left after unlocking", len(ids))
	}
}

// TestLockLoad: the Load of a lock runs inside the 200 ms wait (the lock
// takes no longer than a plain one), a failing one leaves no lock file,
// and a conflicting lock still wins over it.
func TestLockLoad(t *testing.T) {
	r, _ := newLocalRepo(t, 2, repo.Options{})
	ran := false
	start := time.Now()
	load := func(ctx context.Context) error {
		ran = true
		return sleepCtx(ctx, 150*time.Millisecond)
	}
	err := r.WithLock(t.Context(), repo.LockMode{Load: load}, func(context.Context, *repo.Lock) error {
		if !ran {
			t.Fatal("the work started before Load ran")
		}
		if d := time.Since(start); d > 1500*time.Millisecond {
			t.Fatalf("locking with Load took %v; Load should overlap the wait", d)
		}
		exclusive := repo.LockMode{Exclusive: true, Load: func(context.Context) error { return nil }}
		if err := r.WithLock(t.Context(), exclusive, noWork); !errors.Is(err, repo.ErrLocked) {
			t.Fatalf("exclusive lock with Load over a shared lock: %v", err)
		}
		return nil
	})
	if err != nil || !ran {
		t.Fatalf("WithLock: %v, Load ran %v", err, ran)
	}
	must := errors.New("load failed")
	failing := repo.LockMode{Load: func(context.Context) error { return must }}
	if err := r.WithLock(t.Context(), failing, func(context.Context, *repo.Lock) error {
		t.Fatal("the work ran after Load failed")
		return nil
	}); !errors.Is(err, must) {
		t.Fatalf("failing Load: %v", err)
	}
	if ids, _ := r.List(t.Context(), backend.LockFile); len(ids) != 0 {
		t.Fatalf("%d lock files left after a failed Load", len(ids))
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
