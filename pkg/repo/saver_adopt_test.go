package repo_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/local"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// countingFiles counts how packs reach a local backend: adopted in place
// (SaveFile) or copied (Save). With failCreate, CreateFile fails as on a
// file system without O_TMPFILE.
type countingFiles struct {
	*local.Backend
	failCreate      bool
	failSave        error // returned by SaveFile instead of saving
	adopted, copied atomic.Int32
}

func (c *countingFiles) CreateFile() (*os.File, error) {
	if c.failCreate {
		return nil, errors.ErrUnsupported
	}
	return c.Backend.CreateFile()
}

func (c *countingFiles) SaveFile(ctx context.Context, h backend.Handle, f *os.File) error {
	if c.failSave != nil {
		return c.failSave
	}
	c.adopted.Add(1)
	return c.Backend.SaveFile(ctx, h, f)
}

func (c *countingFiles) Save(ctx context.Context, h backend.Handle, rd backend.RewindReader) error {
	if h.Type == backend.PackFile {
		c.copied.Add(1)
	}
	return c.Backend.Save(ctx, h, rd)
}

// TestSaverAdoptsPackFiles: with a local repository every pack is written
// in place and linked (no copy); where that is impossible packs are copied.
// Either way restic reads back every blob.
func TestSaverAdoptsPackFiles(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	for _, failCreate := range []bool{false, true} {
		_, dir := newLocalRepo(t, 2, repo.Options{})
		be, err := local.Open(t.Context(), dir)
		if err != nil {
			t.Fatal(err)
		}
		if f, err := be.CreateFile(); err != nil {
			t.Logf("no anonymous files here (%v): only the copying path is checked", err)
			failCreate = true
		} else {
			f.Close()
		}
		c := &countingFiles{Backend: be, failCreate: failCreate}
		r, err := repo.Open(t.Context(), c, password, repo.Options{PackSize: 64 << 10})
		if err != nil {
			t.Fatal(err)
		}
		saveBlobs(t, r, 200, 3000)
		packs := r.Index().PackCount()
		adopted, copied := int(c.adopted.Load()), int(c.copied.Load())
		if packs < 2 || failCreate && (adopted != 0 || copied != packs) || !failCreate && (adopted != packs || copied != 0) {
			t.Fatalf("CreateFile failing %v: %d packs, %d adopted, %d copied", failCreate, packs, adopted, copied)
		}
		if out := runRestic(t, bin, dir, "check", "--read-data"); !strings.Contains(out, "no errors were found") {
			t.Fatalf("restic check: %s", out)
		}
	}
}

// TestSaverAdoptFailures: a pack that could not be named but is intact
// (ErrNotAdopted) is copied instead; after any other failure, such as a
// failed fsync whose data the kernel may have dropped, nothing is copied
// and the backup fails.
func TestSaverAdoptFailures(t *testing.T) {
	for _, tc := range []struct {
		err        error
		wantCopies bool
	}{
		{fmt.Errorf("link: %w: EPERM (test)", backend.ErrNotAdopted), true},
		{errors.New("fsync: input/output error (test)"), false},
	} {
		_, dir := newLocalRepo(t, 2, repo.Options{})
		be, err := local.Open(t.Context(), dir)
		if err != nil {
			t.Fatal(err)
		}
		if f, err := be.CreateFile(); err != nil {
			t.Skipf("no anonymous files here: %v", err)
		} else {
			f.Close()
		}
		c := &countingFiles{Backend: be, failSave: tc.err}
		r, err := repo.Open(t.Context(), c, password, repo.Options{PackSize: 64 << 10})
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.WithBlobSaver(t.Context(), func(ctx context.Context, s *repo.BlobSaver) error {
			_, _, err := s.SaveBlob(ctx, format.DataBlob, []byte("one blob"))
			return err
		})
		copied := c.copied.Load() > 0
		if copied != tc.wantCopies || (err == nil) != tc.wantCopies {
			t.Fatalf("SaveFile failing with %q: copied %v, saver error %v", tc.err, copied, err)
		}
	}
}
