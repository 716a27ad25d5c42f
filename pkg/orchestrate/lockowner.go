package orchestrate

import (
	"context"
	"log/slog"

	"github.com/drydock-backup/drydock/internal/lockowner"
	"github.com/drydock-backup/drydock/internal/statedir"
	"github.com/drydock-backup/drydock/pkg/repo"
)

// openLockOwner marks the daemon's repository locks in the state directory
// so that the next drydock of this installation can remove them if the
// daemon is killed (a container's agent is PID 1 on the same host again,
// which restic's rule takes for alive for 30 minutes), and lets the daemon
// remove such locks of a killed agent: at start, and whenever a job takes
// a lock. It returns what releases the mark at the daemon's end. Without
// a usable state directory, locks follow restic's rule.
func (d *Daemon) openLockOwner(stateDir string) (release func()) {
	if err := statedir.Ensure(stateDir, d.log); err != nil {
		return func() {} // Preflight reports it
	}
	o, err := lockowner.Open(stateDir, d.log)
	if err != nil {
		d.log.Warn("cannot mark repository locks in the state directory; a killed daemon's locks wait 30 minutes or 'drydock unlock'", "err", err)
		return func() {}
	}
	d.owner = o
	return func() {
		if err := o.Close(); err != nil {
			d.log.Warn("cannot remove the daemon's lock owner file", "err", err)
		}
	}
}

// removeDeadLocks removes from r the locks of killed drydocks of this
// installation, so that they do not block other hosts' (or stock restic's)
// prune and check until our next job there.
func removeDeadLocks(ctx context.Context, name string, r *repo.Repository, log *slog.Logger) {
	n, err := r.RemoveDeadLocks(ctx)
	if err != nil {
		log.Warn("cannot remove the locks of a killed drydock", "repository", name, "err", err)
	} else if n > 0 {
		log.Info("removed the locks of a killed drydock of this installation", "repository", name, "locks", n)
	}
}
