package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sync"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/internal/humanize"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/restorer"
	"github.com/drydock-backup/drydock/pkg/retention"
)

type restoreOptions struct {
	target   string
	includes []string
	filter   retention.Filter
}

func newRestoreCommand(g *globalOptions) *cobra.Command {
	var opts restoreOptions
	cmd := &cobra.Command{
		Use:   "restore SNAPSHOT --target DIR",
		Short: "Restore a snapshot (an ID, a prefix of one, or latest) into a directory",
		Long: `Restore writes SNAPSHOT (an ID, a unique prefix, or latest of the snapshots
--host/--tag/--path select) into --target. It never writes outside the target
and restores everything it can from a damaged repository: each entry it
cannot restore is named on stderr, a file restored only in part is kept as
NAME.drydock-partial, and the exit code is then 1.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.target == "" {
				return fmt.Errorf("--target is required")
			}
			for _, pat := range opts.includes {
				if _, err := path.Match(pat, "/"); err != nil {
					return fmt.Errorf("--include %q: %w", pat, err)
				}
			}
			return g.withReadLock(cmd.Context(), false, func(ctx context.Context, r *repo.Repository) error {
				return runRestore(ctx, r, opts, g, args[0])
			})
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.target, "target", "t", "", "directory to restore into")
	f.StringArrayVarP(&opts.includes, "include", "i", nil, "restore only paths matching this pattern (repeatable)")
	addSnapshotFilterFlags(f, &opts.filter, "H")
	return cmd
}

func runRestore(ctx context.Context, r *repo.Repository, opts restoreOptions, g *globalOptions, ref string) error {
	sn, err := findSnapshot(ctx, r, g, ref, opts.filter)
	if err != nil {
		return err
	}
	if !g.quiet && !g.json {
		fmt.Fprintf(g.stdout, "restoring snapshot %s of %v to %s\n", sn.ID.Str(), sn.Paths, opts.target)
	}
	st, err := restorer.Restore(ctx, r, *sn.Tree, opts.target, restorer.Options{
		Include: opts.includes, Logger: g.logger(), Failed: restoreFailurePrinter(g, "error"), Warned: restoreFailurePrinter(g, "warning")})
	if err != nil && !errors.Is(err, restorer.ErrIncomplete) {
		return err
	}
	switch {
	case g.json:
		jerr := json.NewEncoder(g.stdout).Encode(map[string]any{"message_type": "summary", "files": st.Files,
			"dirs": st.Dirs, "hardlinks": st.Links, "other": st.Other, "bytes": st.Bytes, "failed": st.Failed})
		if jerr != nil {
			return jerr
		}
	case !g.quiet:
		fmt.Fprintf(g.stdout, "restored %d files (%s), %d dirs, %d hardlinks, %d other entries\n", st.Files, humanize.Bytes(st.Bytes, 3), st.Dirs, st.Links, st.Other)
	}
	if err != nil {
		return fmt.Errorf("%d entries could not be restored fully (each is named above; partly restored files end in %s): %w",
			st.Failed, restorer.PartialSuffix, restorer.ErrIncomplete)
	}
	return nil
}

// restoreFailurePrinter prints each entry a restore could not restore (or,
// as a "warning", restored without some metadata), as it happens, on
// stderr (as a JSON message with --json, like restic's).
func restoreFailurePrinter(g *globalOptions, level string) func(restorer.Failure) {
	var mu sync.Mutex
	return func(f restorer.Failure) {
		mu.Lock()
		defer mu.Unlock()
		if g.json {
			_ = json.NewEncoder(g.stderr).Encode(map[string]any{"message_type": level, "item": f.Path, "error": f.Err.Error()})
			return
		}
		fmt.Fprintf(g.stderr, "%s: %s: %v\n", level, quoteName(f.Path), f.Err)
	}
}
