package console

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/drydock-backup/drydock/pkg/oplog"
	"github.com/drydock-backup/drydock/pkg/repo"
)

// locksTimeout bounds the overview's look at each repository's locks.
const locksTimeout = 5 * time.Second

// The overview's look at the locks is kept for locksFresh, and served
// while a new one runs until locksMaxAge: listing the lock files of
// every repository on every load is too slow for a remote one, but a
// stale lock blocks prune, forget and check, so its alert must not wait
// long. The page says how old the look is.
const (
	locksFresh  = 10 * time.Second
	locksMaxAge = 30 * time.Second
)

// newLocksCache keeps src's stale locks for the overview.
func newLocksCache(src *source, bg *background) *refreshed[[]repo.StaleLock] {
	return &refreshed[[]repo.StaleLock]{fresh: locksFresh, maxAge: locksMaxAge, timeout: locksTimeout,
		fetch: src.staleLocks, background: bg.start}
}

// staleLockJSON is a stale lock as GET .../locks shows it.
type staleLockJSON struct {
	ID        string    `json:"id"`
	Exclusive bool      `json:"exclusive"`
	Hostname  string    `json:"hostname"`
	PID       int       `json:"pid"`
	Time      time.Time `json:"time"`
	Why       string    `json:"why"`
}

// lockAlert is the overview's alert for a repository with stale locks,
// with the button that removes them.
type lockAlert struct {
	Repo      string
	Locks     []string
	UnlockURL string
}

// staleLocks lists the stale locks of src (see repo.StaleLocks).
func (src *source) staleLocks(ctx context.Context) ([]repo.StaleLock, error) {
	return src.r.StaleLocks(ctx)
}

// apiLocks answers GET /api/v1/repositories/{repo}/locks: the stale
// locks, those POST .../unlock would remove.
func (s *Server) apiLocks(w http.ResponseWriter, r *http.Request) {
	src, err := s.source(r.PathValue("repo"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	locks, err := src.staleLocks(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := []staleLockJSON{}
	for _, l := range locks {
		out = append(out, staleLockJSON{ID: l.ID.String(), Exclusive: l.Exclusive, Hostname: l.Hostname, PID: l.PID, Time: l.Time, Why: l.Why})
	}
	writeJSON(w, http.StatusOK, map[string]any{"stale": out})
}

// lockAlerts are the overview's alerts for repositories with stale
// locks; one that cannot be read is an alert too. The locks are those
// src.locks keeps (at most locksMaxAge old); looked is when the oldest
// of them was looked at.
func (s *Server) lockAlerts(ctx context.Context) (alerts []lockAlert, failed []string, looked time.Time) {
	for _, name := range s.names {
		src := s.sources[name]
		a := src.locks.get(ctx)
		if looked.IsZero() || a.At.Before(looked) {
			looked = a.At
		}
		if a.Err != nil {
			failed = append(failed, fmt.Sprintf("The locks of repository %s cannot be read: %v", name, a.Err))
			continue
		}
		if len(a.Val) == 0 {
			continue
		}
		la := lockAlert{Repo: name, UnlockURL: "/repositories/" + url.PathEscape(name) + "/unlock"}
		for _, l := range a.Val {
			la.Locks = append(la.Locks, l.String())
		}
		alerts = append(alerts, la)
	}
	return alerts, failed, looked
}

// apiUnlock answers POST /api/v1/repositories/{repo}/unlock: 202 and the
// operation that removes the stale locks.
func (s *Server) apiUnlock(w http.ResponseWriter, r *http.Request) {
	op, err := s.startUnlock(r.PathValue("repo"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/operations/"+op.ID)
	writeJSON(w, http.StatusAccepted, op)
}

// formUnlock is the overview's button: on to the operation's page.
func (s *Server) formUnlock(w http.ResponseWriter, r *http.Request) {
	op, err := s.startUnlock(r.PathValue("repo"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, operationURL(op.ID), http.StatusSeeOther)
}

// startUnlock removes the stale locks of a repository in the background,
// as an operation of kind unlock. Staleness is judged again at removal
// (repo.RemoveStaleLocks): a lock refreshed since the page showed it
// stays.
func (s *Server) startUnlock(repoName string) (oplog.Operation, error) {
	src, err := s.source(repoName)
	if err != nil {
		return oplog.Operation{}, err
	}
	if s.history == nil {
		return oplog.Operation{}, notFound("this console keeps no history, so it removes no locks")
	}
	if s.bg.ctx.Err() != nil {
		return oplog.Operation{}, errStopping
	}
	op, err := s.history.Start(oplog.Operation{Kind: "unlock", Repository: src.name, Trigger: oplog.Manual})
	if err != nil {
		return op, err
	}
	s.log.Info("removing stale locks, asked for in the console", "repository", src.name, "operation", op.ID)
	if err := s.bg.start(func(ctx context.Context) { s.runUnlock(ctx, src, op.ID) }); err != nil {
		_ = s.history.Finish(op.ID, err, nil)
		return oplog.Operation{}, err
	}
	return op, nil
}

func (s *Server) runUnlock(ctx context.Context, src *source, id string) {
	before, err := src.staleLocks(ctx)
	var rep repo.UnlockReport
	if err == nil {
		rep, err = src.r.RemoveStaleLocks(ctx, false)
	}
	_, err = s.bg.interrupted(err)
	// The next overview looks again, with or without the locks removed.
	src.locks.invalidate()
	_ = s.history.Finish(id, err, func(o *oplog.Operation) {
		for _, l := range before {
			oplog.AddLine(o, "info", "stale: "+l.String())
		}
		if err == nil {
			oplog.AddLine(o, "info", fmt.Sprintf("removed %d stale lock(s), kept %d live one(s)", rep.Removed, rep.Kept))
		}
	})
}
