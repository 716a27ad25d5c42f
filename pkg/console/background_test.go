package console

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/local"
	"github.com/drydock-backup/drydock/pkg/oplog"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/secret"
)

// stallingBackend is the local backend whose pack reads, once armed,
// wait until they are cancelled: a restore that is under way when the
// console stops.
type stallingBackend struct {
	backend.Backend
	armed   atomic.Bool
	reached chan struct{}
	once    sync.Once
}

func (b *stallingBackend) Load(ctx context.Context, h backend.Handle, length int, offset int64, fn func(io.Reader) error) error {
	if h.Type == backend.PackFile && b.armed.Load() {
		b.once.Do(func() { close(b.reached) })
		<-ctx.Done()
		return ctx.Err()
	}
	return b.Backend.Load(ctx, h, length, offset, fn)
}

// TestShutdownInterruptsRestores: a console restore that runs when the
// console shuts down is cancelled and recorded as failed (interrupted),
// Shutdown returns only once it is recorded, and a restore asked for
// afterwards is refused (503) without an operation.
func TestShutdownInterruptsRestores(t *testing.T) {
	f := newFixture(t)
	be, err := local.Open(t.Context(), f.dir)
	if err != nil {
		t.Fatal(err)
	}
	stall := &stallingBackend{Backend: be, reached: make(chan struct{})}
	r, err := repo.Open(t.Context(), stall, repotest.Password, repo.Options{TreeCache: repo.DefaultTreeCache})
	if err != nil {
		t.Fatal(err)
	}
	con, err := New(Options{Repositories: map[string]*repo.Repository{"default": r}, Token: secret.New(testToken), History: f.ops})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(con)
	t.Cleanup(srv.Close)
	f.srv = srv

	file := filepath.ToSlash(f.data) + "/bin/blob.bin"
	// The lookups the request makes read trees: cache them first.
	if res := f.get(t, treeURL("default", f.beta.String(), filepath.ToSlash(f.data)+"/bin"), testToken); res.StatusCode != http.StatusOK {
		t.Fatalf("tree page: %d", res.StatusCode)
	}
	stall.armed.Store(true)
	post := func() (*http.Response, []byte) {
		b, _ := json.Marshal(restoreRequest{Snapshot: f.beta.String(), Paths: []string{file}, Target: t.TempDir()})
		res := f.do(t, http.MethodPost, "/api/v1/repositories/default/restore", testToken, bytes.NewReader(b))
		return res, readBody(t, res)
	}
	res, body := post()
	var op oplog.Operation
	if res.StatusCode != http.StatusAccepted || json.Unmarshal(body, &op) != nil {
		t.Fatalf("POST restore: %d %s", res.StatusCode, body)
	}
	select {
	case <-stall.reached:
	case <-time.After(30 * time.Second):
		t.Fatal("the restore never read a pack")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := con.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	got, _ := f.ops.Get(op.ID)
	if got.Status != oplog.Failure || !strings.Contains(got.Error, "interrupted") {
		t.Errorf("after Shutdown the restore is %s (%q), want failure: interrupted", got.Status, got.Error)
	}
	before := len(f.ops.List(0))
	if res, body := post(); res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("restore after Shutdown: %d %s, want 503", res.StatusCode, body)
	}
	if after := len(f.ops.List(0)); after != before {
		t.Errorf("a refused restore started %d operations", after-before)
	}
}
