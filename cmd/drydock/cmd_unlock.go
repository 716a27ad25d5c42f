package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newUnlockCommand(g *globalOptions) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "unlock",
		Short: "Remove stale locks (of processes that died)",
		Long: `Remove the lock files restic's rule calls stale: older than 30 minutes, or
made on this host by a process that no longer exists. A backup or prune that
was killed leaves its lock behind, and stale locks still block prune and
forget, as in restic. With --remove-all every lock goes: only when no other
process uses the repository.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := g.openRepository(cmd.Context())
			if err != nil {
				return err
			}
			defer r.Backend().Close()
			rep, err := r.RemoveStaleLocks(cmd.Context(), all)
			if err != nil {
				return err
			}
			if !g.quiet {
				fmt.Fprintf(g.stdout, "removed %d lock(s), kept %d\n", rep.Removed, rep.Kept)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&all, "remove-all", false, "remove all locks, even live and unreadable ones")
	return cmd
}
