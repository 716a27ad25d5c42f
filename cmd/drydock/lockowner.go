package main

import (
	"os"
	"sync"

	"github.com/drydock-backup/drydock/internal/lockowner"
	"github.com/drydock-backup/drydock/pkg/orchestrate/config"
	"github.com/drydock-backup/drydock/pkg/repo"
)

// lockOwnerState is this process's lockowner.Owner, opened on first use.
type lockOwnerState struct {
	once  sync.Once
	owner *lockowner.Owner
}

// lockOwner marks this process's repository locks in the state directory
// (that of the configuration the repository came from, else the daemon's
// default, config.DefaultStateDir), so that a later drydock
// of the same installation can remove them if this one is killed (in a
// container, restic's rule keeps them for 30 minutes), and removes those
// of killed drydocks itself. Only a state directory that exists is used,
// as the daemon, `drydock volumes` and the image's volume make it: a
// command does not create one. Without it, locks follow restic's rule.
func (g *globalOptions) lockOwner() repo.LockOwner {
	s := &g.locks
	s.once.Do(func() {
		dir, err := g.repoConfig.stateDir, error(nil)
		if dir == "" {
			if dir, err = config.DefaultStateDir(g.getenv); err != nil {
				return
			}
		}
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return
		}
		if s.owner, err = lockowner.Open(dir, g.logger()); err != nil {
			g.logger().Warn("cannot mark repository locks in the state directory; a killed drydock's locks wait 30 minutes or 'drydock unlock'", "err", err)
		}
	})
	if s.owner == nil {
		return nil // not a nil *Owner in an interface
	}
	return s.owner
}

// closeLockOwner releases the mark once the command is done.
func (g *globalOptions) closeLockOwner() {
	if o := g.locks.owner; o != nil {
		if err := o.Close(); err != nil {
			g.logger().Warn("cannot remove this process's lock owner file", "err", err)
		}
	}
}
