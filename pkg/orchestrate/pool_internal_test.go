package orchestrate

import (
	"context"
	"testing"

	"github.com/drydock-backup/drydock/internal/repotest"
	"github.com/drydock-backup/drydock/pkg/orchestrate/config"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/backend/local"
)

// TestRepoPool: a free pooled handle is reused; a busy one makes the
// second run open its own (closed at its end); a failed run, a changed
// configuration and a reload without the repository drop the handle.
func TestRepoPool(t *testing.T) {
	_, dir := repotest.New(t, 2, repo.Options{})
	opens := map[string]int{}
	p := newRepoPool(func(name string) { opens[name]++ })
	open := func(ctx context.Context) (*repo.Repository, error) {
		be, err := local.Open(ctx, dir)
		if err != nil {
			return nil, err
		}
		return repo.Open(ctx, be, repotest.Password, repo.Options{})
	}
	rc := &config.Repository{Location: dir}
	get := func(rc *config.Repository) (*repo.Repository, bool, func(bool)) {
		t.Helper()
		r, warm, release, err := p.acquire(t.Context(), "r", rc, open)
		if err != nil {
			t.Fatal(err)
		}
		return r, warm, release
	}

	r1, warm, rel1 := get(rc)
	if warm || opens["r"] != 1 {
		t.Fatalf("first acquire: warm %v, opens %d", warm, opens["r"])
	}
	r2, warm, rel2 := get(rc) // while the first run holds it
	if warm || r2 == r1 || opens["r"] != 2 {
		t.Fatalf("acquire while busy: warm %v, same handle %v, opens %d", warm, r2 == r1, opens["r"])
	}
	rel2(false)
	rel1(false)
	r3, warm, rel3 := get(rc)
	if !warm || r3 != r1 || opens["r"] != 2 {
		t.Fatalf("acquire after release: warm %v, same handle %v, opens %d", warm, r3 == r1, opens["r"])
	}
	rel3(true) // a failed run
	r4, warm, rel4 := get(rc)
	if warm || r4 == r1 {
		t.Fatal("the handle of a failed run was reused")
	}
	rel4(false)
	changed := *rc
	changed.LockWait = config.Duration(1)
	if r5, warm, rel5 := get(&changed); warm || r5 == r4 {
		t.Fatal("a handle opened with another configuration was reused")
	} else {
		rel5(false)
	}
	p.retain(&config.Config{Repositories: map[string]*config.Repository{}})
	if len(p.slots) != 0 {
		t.Errorf("a reload without the repository kept %d handles", len(p.slots))
	}
}
