package checker_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/local"
	"github.com/drydock-backup/drydock/pkg/backend/retry"
	"github.com/drydock-backup/drydock/pkg/checker"
	"github.com/drydock-backup/drydock/pkg/repo"
)

// cutOnce wraps a real backend: the first download of each pack breaks
// off halfway with err, as a dropped connection does.
type cutOnce struct {
	backend.Backend
	err  error
	mu   sync.Mutex
	seen map[string]bool
}

func (b *cutOnce) Load(ctx context.Context, h backend.Handle, length int, offset int64, fn func(io.Reader) error) error {
	b.mu.Lock()
	first := h.Type == backend.PackFile && !b.seen[h.Name]
	if first {
		b.seen[h.Name] = true
	}
	b.mu.Unlock()
	if !first {
		return b.Backend.Load(ctx, h, length, offset, fn)
	}
	return b.Backend.Load(ctx, h, length, offset, func(rd io.Reader) error {
		data, err := io.ReadAll(rd)
		if err != nil {
			return err
		}
		return fn(io.MultiReader(bytes.NewReader(data[:len(data)/2]), errReader{b.err}))
	})
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// A download retried after breaking off is verified from its start: the
// packs pass in one pass and are counted once. (The tree packs' downloads
// are cut while the trees are checked, the data packs' while read.)
func TestRetriedDownload(t *testing.T) {
	for name, cut := range map[string]error{
		"transient error": fmt.Errorf("connection dropped: %w", backend.ErrTransient),
		// what the S3 backend reads from a body that ends before its length
		"unexpected EOF": io.ErrUnexpectedEOF,
	} {
		t.Run(name, func(t *testing.T) { testRetriedDownload(t, cut) })
	}
}

func testRetriedDownload(t *testing.T, cut error) {
	f := baseRepo(t)
	be, err := local.Open(t.Context(), f.dir)
	if err != nil {
		t.Fatal(err)
	}
	flaky := &cutOnce{Backend: be, err: cut, seen: map[string]bool{}}
	r, err := repo.Open(t.Context(), retry.New(flaky, retry.Options{InitialInterval: time.Millisecond}), password, repo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := checker.Check(t.Context(), r, checker.Options{ReadData: true})
	if err != nil {
		t.Fatal(err)
	}
	var size int64
	for _, id := range append(f.dataPacks, f.treePacks...) {
		fi, err := os.Stat(packPath(f.dir, id))
		if err != nil {
			t.Fatal(err)
		}
		size += fi.Size()
	}
	if !rep.OK() || checker.PacksReadWhole(rep) != 0 || rep.PacksRead != rep.Packs || rep.BytesRead != size || len(flaky.seen) != rep.Packs {
		t.Fatalf("read %d bytes of %d, %d packs again whole, %d downloads cut:\n%s",
			rep.BytesRead, size, checker.PacksReadWhole(rep), len(flaky.seen), printed(rep))
	}
}
