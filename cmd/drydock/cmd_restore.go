package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/restorer"
)

type restoreOptions struct {
	target   string
	includes []string
}

func newRestoreCommand(g *globalOptions) *cobra.Command {
	var opts restoreOptions
	cmd := &cobra.Command{
		Use:   "restore SNAPSHOT --target DIR",
		Short: "Restore a snapshot (an ID, a prefix of one, or latest) into a directory",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.target == "" {
				return fmt.Errorf("--target is required")
			}
			return g.withLock(cmd.Context(), false, func(ctx context.Context, r *repo.Repository) error {
				return runRestore(ctx, r, opts, g, args[0])
			})
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.target, "target", "t", "", "directory to restore into")
	f.StringArrayVarP(&opts.includes, "include", "i", nil, "restore only paths matching this pattern (repeatable)")
	return cmd
}

func runRestore(ctx context.Context, r *repo.Repository, opts restoreOptions, g *globalOptions, ref string) error {
	sn, err := loadSnapshot(ctx, r, ref)
	if err != nil {
		return err
	}
	if !g.quiet && !g.json {
		fmt.Fprintf(g.stdout, "restoring snapshot %s of %v to %s\n", sn.ID.Str(), sn.Paths, opts.target)
	}
	st, err := restorer.Restore(ctx, r, *sn.Tree, opts.target, restorer.Options{Include: opts.includes, Logger: g.logger()})
	if err != nil {
		return err
	}
	switch {
	case g.json:
		return json.NewEncoder(g.stdout).Encode(map[string]any{"message_type": "summary", "files": st.Files,
			"dirs": st.Dirs, "hardlinks": st.Links, "other": st.Other, "bytes": st.Bytes})
	case !g.quiet:
		fmt.Fprintf(g.stdout, "restored %d files (%d bytes), %d dirs, %d hardlinks, %d other entries\n", st.Files, st.Bytes, st.Dirs, st.Links, st.Other)
	}
	return nil
}
