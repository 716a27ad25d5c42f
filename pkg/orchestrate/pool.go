package orchestrate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"reflect"
	"sync"

	"github.com/drydock-backup/drydock/pkg/backup"
	"github.com/drydock-backup/drydock/pkg/orchestrate/config"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/volume"
)

// repoPool keeps one open Repository per configured repository between
// runs, so that a job does not derive the key again (scrypt) or read the
// whole index again: the run's lock calls Refresh, which reads only what
// changed since the last run (everything, after a prune elsewhere).
//
// Sharing: a Repository's methods are safe for concurrent use, but
// Refresh must not run while one of its savers saves, and every run
// refreshes under its lock. So the pooled handle serves one run at a time;
// a run that finds it taken (two jobs of one repository at once) opens a
// handle of its own, closed when it ends, rather than wait behind a backup
// that may take hours. Readers, which only list snapshots (the start's
// seeding of last successes), share the pooled handle with a run.
//
// The pooled handle is closed once unused when a reload changes or
// removes its repository, when a file it was opened with (password,
// credentials, certificates) changed, after a run that failed in a way
// that may concern the repository (keepAfter), and at shutdown.
type repoPool struct {
	mu     sync.Mutex
	slots  map[string]*slot
	opens  map[string]int    // handles opened, pooled or not
	closes map[string]int    // handles closed, pooled or not
	opened func(name string) // told of each open (a metric)
}

type slot struct {
	name  string
	conf  config.Repository // what r was opened with
	files string            // fingerprint of the files conf names, at the open
	r     *repo.Repository
	ready chan struct{} // closed once the open is done; until then r is nil
	busy  bool          // a run holds r
	// readers share r with the run, if any.
	readers int
	// dropped: out of the pool, closed when its last user leaves.
	dropped, closed bool
}

// use is how a caller uses a handle.
type use int

const (
	useRun  use = iota // a job's run: refreshes, saves; one at a time
	useRead            // reads snapshots only; beside anything
)

// opener opens a repository (openRepo, bound to its name and config).
type opener func(ctx context.Context) (*repo.Repository, error)

func newRepoPool(opened func(name string)) *repoPool {
	return &repoPool{slots: map[string]*slot{}, opens: map[string]int{}, closes: map[string]int{},
		opened: opened}
}

// acquire returns a handle of repository name, whether it was open
// already (warm), and release, which the caller calls when done: with
// drop, the pooled handle is closed and the next caller opens afresh.
func (p *repoPool) acquire(ctx context.Context, name string, rc *config.Repository, u use, open opener) (r *repo.Repository, warm bool, release func(drop bool), err error) {
	files := fingerprint(rc)
	for {
		p.mu.Lock()
		s := p.slots[name]
		if s != nil && s.open() && (!reflect.DeepEqual(s.conf, *rc) || s.files != files) {
			p.drop(s)
			p.mu.Unlock()
			p.closeUnused(s) // or when its users, if any, are done
			continue
		}
		switch {
		case s == nil:
			s = &slot{name: name, conf: *rc, ready: make(chan struct{})}
			s.enter(u)
			p.slots[name] = s
			p.mu.Unlock()
			return p.fill(ctx, s, u, open)
		case u == useRun && s.busy:
			p.mu.Unlock()
			return p.own(ctx, name, open)
		case !s.open():
			// Being opened for a caller this one can share with: wait
			// rather than derive the key a second time.
			p.mu.Unlock()
			select {
			case <-s.ready:
			case <-ctx.Done():
				return nil, false, nil, ctx.Err()
			}
			continue // it may have failed, or changed meanwhile
		}
		s.enter(u)
		p.mu.Unlock()
		return s.r, true, p.releaser(s, u), nil
	}
}

// fill opens the handle of the new slot s, which the caller holds.
func (p *repoPool) fill(ctx context.Context, s *slot, u use, open opener) (*repo.Repository, bool, func(bool), error) {
	r, err := open(ctx)
	// After the open: with init, the open may have written the password file.
	files := fingerprint(&s.conf)
	p.mu.Lock()
	s.r, s.files = r, files
	close(s.ready)
	if err != nil {
		s.leave(u)
		p.drop(s)
		p.mu.Unlock()
		return nil, false, nil, err
	}
	p.countOpen(s.name)
	p.mu.Unlock()
	return r, false, p.releaser(s, u), nil
}

// own opens a handle outside the pool, closed at release.
func (p *repoPool) own(ctx context.Context, name string, open opener) (*repo.Repository, bool, func(bool), error) {
	r, err := open(ctx)
	if err != nil {
		return nil, false, nil, err
	}
	p.mu.Lock()
	p.countOpen(name)
	p.mu.Unlock()
	return r, false, func(bool) {
		r.Backend().Close()
		p.mu.Lock()
		p.closes[name]++
		p.mu.Unlock()
	}, nil
}

func (p *repoPool) releaser(s *slot, u use) func(drop bool) {
	var once sync.Once
	return func(drop bool) {
		once.Do(func() {
			p.mu.Lock()
			s.leave(u)
			if drop {
				p.drop(s)
			}
			p.mu.Unlock()
			p.closeUnused(s)
		})
	}
}

// retain drops the handles of repositories cfg no longer has, or has
// with another configuration; a handle in use is closed when its last
// user leaves.
func (p *repoPool) retain(cfg *config.Config) {
	p.mu.Lock()
	var gone []*slot
	for _, s := range p.slots {
		if rc := cfg.Repositories[s.name]; rc == nil || !reflect.DeepEqual(s.conf, *rc) {
			p.drop(s)
			gone = append(gone, s)
		}
	}
	p.mu.Unlock()
	for _, s := range gone {
		p.closeUnused(s)
	}
}

// closeAll drops every handle, at shutdown: a configuration without
// repositories keeps none.
func (p *repoPool) closeAll() { p.retain(&config.Config{}) }

// countOpen counts an open of repository name. p.mu must be held.
func (p *repoPool) countOpen(name string) {
	p.opens[name]++
	p.opened(name)
}

// drop takes s out of the pool. p.mu must be held.
func (p *repoPool) drop(s *slot) {
	if p.slots[s.name] == s {
		delete(p.slots, s.name)
	}
	s.dropped = true
}

// closeUnused closes the backend of s if s is out of the pool and no
// longer used; outside p.mu, as closing may wait for a connection.
func (p *repoPool) closeUnused(s *slot) {
	p.mu.Lock()
	if !s.dropped || s.closed || s.busy || s.readers > 0 || s.r == nil {
		p.mu.Unlock()
		return
	}
	s.closed = true
	p.closes[s.name]++
	p.mu.Unlock()
	s.r.Backend().Close()
}

// counts returns how many handles of repository name were opened and
// closed.
func (p *repoPool) counts(name string) (opens, closes int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.opens[name], p.closes[name]
}

func (s *slot) open() bool {
	select {
	case <-s.ready:
		return true
	default:
		return false
	}
}

func (s *slot) enter(u use) {
	if u == useRun {
		s.busy = true
	} else {
		s.readers++
	}
}

func (s *slot) leave(u use) {
	if u == useRun {
		s.busy = false
	} else {
		s.readers--
	}
}

// fingerprint identifies the content of the files rc names: an open
// repository keeps what it read from them (the key the password opened,
// S3 or ssh credentials), so a change, such as a rotated password or
// credential, must open it again.
func fingerprint(rc *config.Repository) string {
	files := []string{rc.PasswordFile}
	if s := rc.SFTP; s != nil {
		files = append(files, s.KeyFile, s.KnownHostsFile)
	}
	if s := rc.S3; s != nil {
		files = append(files, s.AccessKeyIDFile, s.SecretAccessKeyFile)
	}
	if t := rc.REST; t != nil {
		files = append(append(files, t.CACert...), t.TLSClientCert)
	}
	h := sha256.New()
	for _, f := range files {
		if f != "" {
			h.Write([]byte(f + "\x00" + fileFingerprint(f) + "\x00"))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// fileFingerprint is the SHA-256 of a file's content, or the error that
// prevented reading it.
func fileFingerprint(name string) string {
	b, err := os.ReadFile(name)
	if err != nil {
		return "error: " + err.Error()
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// keepAfter tells whether the pooled handle may serve the next run after
// a run that ended with err. Failures about the apps or the files backed
// up, not the repository (unreadable files, a failed hook, a lock another
// process holds), keep it, so that a job that fails the same way at every
// run still runs warm. Anything else may concern the handle (a replaced
// repository, a removed key, damage, a failing backend) and drops it: an
// open costs a key derivation and an index load, less than a second run
// failing. Every failure of a joined error must be of the first kind.
func keepAfter(err error) bool {
	return err == nil || unrelatedToRepository(err)
}

func unrelatedToRepository(err error) bool {
	// The chain is walked here, not with errors.Is, which would find one
	// harmless failure among others in a joined error.
	switch err {
	case nil:
		return false
	case backup.ErrIncomplete, backup.ErrUnknownSelector, volume.ErrMaxDowntime, repo.ErrLocked:
		return true
	}
	switch u := err.(type) {
	case *volume.HookError:
		return true // whatever made the hook fail (Docker), not the repository
	case interface{ Unwrap() []error }:
		errs := u.Unwrap()
		for _, e := range errs {
			if !unrelatedToRepository(e) {
				return false
			}
		}
		return len(errs) > 0
	case interface{ Unwrap() error }:
		return unrelatedToRepository(u.Unwrap())
	}
	return false
}
