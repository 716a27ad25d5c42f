package orchestrate

import (
	"context"
	"reflect"
	"sync"

	"github.com/drydock-backup/drydock/pkg/orchestrate/config"
	"github.com/drydock-backup/drydock/pkg/repo"
)

// repoPool keeps one open Repository per configured repository between
// runs, so that a job does not derive the key again (scrypt) or read the
// whole index again: Refresh reads only what changed since the last run.
//
// A Repository must not be refreshed while one of its savers saves, so the
// pooled handle serves one run at a time; a run that finds it busy (two
// jobs of one repository at once) gets a fresh handle of its own, closed
// when it ends.
type repoPool struct {
	mu     sync.Mutex
	slots  map[string]*slot
	opened func(name string) // counts opens, pooled or not (a metric)
}

type slot struct {
	r     *repo.Repository
	conf  config.Repository // what r was opened with
	busy  bool
	stale bool // close when released: its config changed, or the daemon stops
}

// opener opens a repository (openRepo, bound to its name and config).
type opener func(ctx context.Context) (*repo.Repository, error)

func newRepoPool(opened func(name string)) *repoPool {
	return &repoPool{slots: map[string]*slot{}, opened: opened}
}

// acquire returns a handle of repository name for one run, and release,
// which the run calls when done; failed drops the pooled handle (a broken
// connection, a replaced repository), so the next run opens it afresh.
// warm says the handle was open already.
func (p *repoPool) acquire(ctx context.Context, name string, rc *config.Repository, open opener) (r *repo.Repository, warm bool, release func(failed bool), err error) {
	p.mu.Lock()
	s := p.slots[name]
	if s != nil && !s.busy && !reflect.DeepEqual(s.conf, *rc) {
		delete(p.slots, name)
		s.r.Backend().Close()
		s = nil
	}
	switch {
	case s != nil && !s.busy:
		s.busy = true
		p.mu.Unlock()
		return s.r, true, p.releaser(name, s), nil
	case s != nil: // busy: a handle of the run's own
		p.mu.Unlock()
		r, err := p.open(ctx, name, open)
		if err != nil {
			return nil, false, nil, err
		}
		return r, false, func(bool) { r.Backend().Close() }, nil
	}
	p.mu.Unlock()
	r, err = p.open(ctx, name, open)
	if err != nil {
		return nil, false, nil, err
	}
	s = &slot{r: r, conf: *rc, busy: true}
	p.mu.Lock()
	if old := p.slots[name]; old != nil { // another run pooled one meanwhile
		p.mu.Unlock()
		return r, false, func(bool) { r.Backend().Close() }, nil
	}
	p.slots[name] = s
	p.mu.Unlock()
	return r, false, p.releaser(name, s), nil
}

func (p *repoPool) open(ctx context.Context, name string, open opener) (*repo.Repository, error) {
	r, err := open(ctx)
	if err == nil {
		p.opened(name)
	}
	return r, err
}

func (p *repoPool) releaser(name string, s *slot) func(failed bool) {
	return func(failed bool) {
		p.mu.Lock()
		defer p.mu.Unlock()
		s.busy = false
		if !failed && !s.stale {
			return
		}
		if p.slots[name] == s {
			delete(p.slots, name)
		}
		s.r.Backend().Close()
	}
}

// retain closes the handles of repositories cfg no longer has, or has
// with another configuration (a busy one when its run ends).
func (p *repoPool) retain(cfg *config.Config) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for name, s := range p.slots {
		if rc := cfg.Repositories[name]; rc != nil && reflect.DeepEqual(s.conf, *rc) {
			continue
		}
		p.drop(name, s)
	}
}

// closeAll closes every handle, at shutdown (a busy one when its run ends).
func (p *repoPool) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for name, s := range p.slots {
		p.drop(name, s)
	}
}

func (p *repoPool) drop(name string, s *slot) {
	delete(p.slots, name)
	if s.busy {
		s.stale = true
		return
	}
	s.r.Backend().Close()
}
