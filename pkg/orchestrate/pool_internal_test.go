package orchestrate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/local"
	"github.com/drydock-backup/drydock/pkg/backup"
	"github.com/drydock-backup/drydock/pkg/orchestrate/config"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/secret"
	"github.com/drydock-backup/drydock/pkg/volume"
)

// poolFixture is a pool over one real local repository, named "r".
type poolFixture struct {
	t    *testing.T
	p    *repoPool
	rc   *config.Repository
	open opener
}

func newPoolFixture(t *testing.T) *poolFixture {
	_, dir := repotest.New(t, 1, repo.Options{})
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte(repotest.Password), 0o600); err != nil {
		t.Fatal(err)
	}
	open := func(ctx context.Context) (*repo.Repository, error) {
		be, err := local.Open(ctx, dir)
		if err != nil {
			return nil, err
		}
		return repo.Open(ctx, be, repotest.Password, repo.Options{})
	}
	return &poolFixture{t: t, p: newRepoPool(func(string) {}), rc: &config.Repository{Location: secret.NewURL(dir), PasswordFile: pw}, open: open}
}

func (f *poolFixture) get(rc *config.Repository, u use) (*repo.Repository, bool, func(bool)) {
	f.t.Helper()
	r, warm, release, err := f.p.acquire(f.t.Context(), "r", rc, u, f.open)
	if err != nil {
		f.t.Fatal(err)
	}
	return r, warm, release
}

// want checks the pool's counts of opens and closes.
func (f *poolFixture) want(step string, opens, closes int) {
	f.t.Helper()
	if o, c := f.p.counts("r"); o != opens || c != closes {
		f.t.Fatalf("%s: %d opens, %d closes; want %d, %d", step, o, c, opens, closes)
	}
}

// TestRepoPool: the pooled handle is reused by the next run and shared
// with readers; a second run at once gets a handle of its own; a dropped
// run, a changed configuration, a rewritten password file, a reload
// without the repository and the shutdown close it, a busy one only when
// its run ends.
func TestRepoPool(t *testing.T) {
	f := newPoolFixture(t)
	r1, warm, rel1 := f.get(f.rc, useRun)
	if warm {
		t.Fatal("first acquire is warm")
	}
	f.want("first run", 1, 0)
	rd, warm, relRead := f.get(f.rc, useRead)
	if !warm || rd != r1 {
		t.Fatalf("a reader beside the run: warm %v, same handle %v", warm, rd == r1)
	}
	r2, warm, rel2 := f.get(f.rc, useRun)
	if warm || r2 == r1 {
		t.Fatalf("a second run beside the first: warm %v, same handle %v", warm, r2 == r1)
	}
	f.want("second run at once", 2, 0)
	rel2(false)
	f.want("second run ended", 2, 1)
	rel1(false)
	relRead(false)
	rel1(true) // a second call changes nothing
	f.want("first run ended", 2, 1)

	r3, warm, rel3 := f.get(f.rc, useRun)
	if !warm || r3 != r1 {
		t.Fatalf("the next run: warm %v, same handle %v", warm, r3 == r1)
	}
	rel3(true) // failed in a way that may concern the handle
	f.want("dropped", 2, 2)
	r4, warm, rel4 := f.get(f.rc, useRun)
	if warm || r4 == r1 {
		t.Fatal("the dropped handle was reused")
	}
	rel4(false)
	f.want("reopened", 3, 2)

	changed := *f.rc
	changed.LockWait = config.Duration(time.Minute)
	_, warm, rel5 := f.get(&changed, useRun)
	if warm {
		t.Fatal("a handle opened with another configuration was reused")
	}
	f.want("configuration changed", 4, 3)
	rel5(false)

	if err := os.WriteFile(f.rc.PasswordFile, []byte(repotest.Password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, warm, rel := f.get(&changed, useRun); warm {
		t.Fatal("the handle was reused after its password file changed")
	} else {
		rel(false)
	}
	f.want("password file rewritten", 5, 4)

	// A reload without the repository while a run holds the handle: it is
	// closed when the run ends, and the next run opens afresh.
	_, _, rel6 := f.get(&changed, useRun)
	f.p.retain(&config.Config{Repositories: map[string]*config.Repository{}})
	f.want("reload while busy", 5, 4)
	rel6(false)
	f.want("busy run ended", 5, 5)
	_, _, rel7 := f.get(&changed, useRun)
	rel7(false)
	f.p.retain(&config.Config{Repositories: map[string]*config.Repository{"r": &changed}})
	f.want("reload without change", 6, 5)
	f.p.closeAll()
	f.want("shutdown", 6, 6)
	if len(f.p.slots) != 0 {
		t.Errorf("%d handles left after closeAll", len(f.p.slots))
	}
}

// TestRepoPoolOpensOnce: callers that come while the handle is being
// opened wait for it instead of opening their own: a run for a reader's
// open, a reader for a run's; a run for a run's does not (it would wait
// for the whole run). In a synctest bubble, so that "the second caller
// waits" is seen when it blocks, not guessed after a sleep.
func TestRepoPoolOpensOnce(t *testing.T) {
	for _, tc := range []struct {
		name          string
		first, second use
		shared        bool
	}{
		{"run waits for reader", useRead, useRun, true},
		{"reader waits for run", useRun, useRead, true},
		{"reader waits for reader", useRead, useRead, true},
		{"run beside run", useRun, useRun, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newPoolFixture(t)
				gate, started := make(chan struct{}), make(chan struct{})
				slow := func(ctx context.Context) (*repo.Repository, error) {
					close(started)
					<-gate
					return f.open(ctx)
				}
				type got struct {
					r       *repo.Repository
					release func(bool)
				}
				results := make(chan got, 2)
				var wg sync.WaitGroup
				acquire := func(u use, open opener) {
					defer wg.Done()
					r, _, release, err := f.p.acquire(t.Context(), "r", f.rc, u, open)
					if err != nil {
						t.Error(err)
						return
					}
					results <- got{r, release}
				}
				wg.Add(2)
				go acquire(tc.first, slow)
				<-started
				go acquire(tc.second, f.open)
				if !tc.shared {
					// The second run opens its own at once, while the first
					// still opens.
					a := <-results
					a.release(false)
				}
				// Every goroutine of the bubble blocks: the first in its
				// open, a second that waits for it on the slot.
				synctest.Wait()
				if tc.shared && len(results) > 0 {
					t.Error("the second caller did not wait for the open under way")
				}
				close(gate)
				wg.Wait()
				close(results)
				var rs []*repo.Repository
				for g := range results {
					rs = append(rs, g.r)
					g.release(false)
				}
				opens, _ := f.p.counts("r")
				if shared := opens == 1 && len(rs) == 2 && rs[0] == rs[1]; shared != tc.shared {
					t.Errorf("opens %d, %d handles: shared %v, want %v", opens, len(rs), shared, tc.shared)
				}
			})
		})
	}
}

// TestRepoPoolFailedOpen: a failed open is not pooled: the next caller
// opens again.
func TestRepoPoolFailedOpen(t *testing.T) {
	f := newPoolFixture(t)
	boom := errors.New("unreachable")
	if _, _, _, err := f.p.acquire(t.Context(), "r", f.rc, useRun, func(context.Context) (*repo.Repository, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("acquire: %v, want %v", err, boom)
	}
	_, warm, rel := f.get(f.rc, useRun)
	rel(false)
	if warm {
		t.Fatal("warm after a failed open")
	}
	f.want("after a failed open", 1, 0)
}

// TestKeepAfter: the pooled handle survives only failures that are
// certainly not the repository's, also when several are joined.
func TestKeepAfter(t *testing.T) {
	hook := &volume.HookError{Container: "db", Phase: "pre", ExitCode: 1, Err: context.DeadlineExceeded}
	locked := &repo.LockedError{}
	for _, tc := range []struct {
		name string
		err  error
		keep bool
	}{
		{"success", nil, true},
		{"unreadable files", fmt.Errorf("snapshot 1234: %w: 2 files could not be read", backup.ErrIncomplete), true},
		{"hook", fmt.Errorf("app db: pre hooks: %w", hook), true},
		{"locked elsewhere", fmt.Errorf("retention: %w", locked), true},
		{"unknown app", fmt.Errorf("%w: x", backup.ErrUnknownSelector), true},
		{"two apps' hooks", errors.Join(fmt.Errorf("app a: %w", hook), fmt.Errorf("app b: %w", hook)), true},
		{"hook and backend", errors.Join(fmt.Errorf("app a: %w", hook), fmt.Errorf("app b: save: %w", backend.ErrPermission)), false},
		{"downtime cut the saver", fmt.Errorf("%w: %w", fmt.Errorf("%w (1m)", volume.ErrMaxDowntime), context.Canceled), false},
		{"key removed", fmt.Errorf("lock: %w", repo.ErrKeyRemoved), false},
		{"replaced", repo.ErrRepositoryReplaced, false},
		{"backend", fmt.Errorf("list index: %w", backend.ErrNotExist), false},
		{"damage", fmt.Errorf("check: %w", repo.ErrCorrupt), false},
		{"unknown", errors.New("something else"), false},
		{"wraps nil", fmt.Errorf("x: %w", errors.Join()), false},
	} {
		if got := keepAfter(tc.err); got != tc.keep {
			t.Errorf("%s (%v): keep %v, want %v", tc.name, tc.err, got, tc.keep)
		}
	}
}
