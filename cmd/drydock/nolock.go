package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/pkg/repo"
)

// honoursNoLock marks a command that reads without a lock under --no-lock,
// as restic's does; every other command locks as usual and says that it
// does (see warnIgnoredNoLock).
const honoursNoLock = "drydock/no-lock"

func readsWithoutLock(cmd *cobra.Command) *cobra.Command {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[honoursNoLock] = "yes"
	return cmd
}

// readsWithoutLockOnDryRun marks forget and prune: with --dry-run they
// change nothing, and restic's run without a lock under --no-lock.
func readsWithoutLockOnDryRun(cmd *cobra.Command) *cobra.Command {
	readsWithoutLock(cmd)
	cmd.Annotations[honoursNoLock] = "dry-run"
	return cmd
}

// lockless says whether cmd runs without a lock: --no-lock is given and
// cmd honours it.
func (g *globalOptions) lockless(cmd *cobra.Command) bool {
	switch cmd.Annotations[honoursNoLock] {
	case "yes":
		return g.noLock
	case "dry-run":
		dry := cmd.Flags().Lookup("dry-run")
		return g.noLock && dry != nil && dry.Value.String() == "true"
	}
	return false
}

// withReadLock runs fn, a command that only reads, under a lock (exclusive
// for check, as restic's) or, with --no-lock, under none: for repositories
// on read-only storage, or beside a lock that would make the read wait.
func (g *globalOptions) withReadLock(ctx context.Context, exclusive bool, fn func(ctx context.Context, r *repo.Repository) error) error {
	if g.noLock {
		return g.withRepository(ctx, fn)
	}
	return g.withLock(ctx, exclusive, fn)
}

// warnIgnoredNoLock tells the user of --no-lock on a command that writes
// (or, as forget and prune without --dry-run, removes) that it locks the
// repository all the same: restic ignores the flag there without a word.
func (g *globalOptions) warnIgnoredNoLock(cmd *cobra.Command) {
	if !g.noLock || g.lockless(cmd) || !cmd.Runnable() {
		return
	}
	fmt.Fprintf(g.stderr, "warning: --no-lock does not apply to %s, which locks the repository as usual\n", cmd.CommandPath())
}
