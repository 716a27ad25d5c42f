package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/retention"
	"github.com/drydock-backup/drydock/pkg/snaptree"
)

type dumpOptions struct {
	filter  retention.Filter
	archive string
	target  string
}

func newDumpCommand(g *globalOptions) *cobra.Command {
	var opts dumpOptions
	cmd := &cobra.Command{
		Use:   "dump SNAPSHOT PATH",
		Short: "Write a file of a snapshot to stdout, or a directory as a tar archive",
		Long: `Dump writes the content of the file PATH of SNAPSHOT (an ID, a unique prefix,
or latest of the snapshots --host/--tag/--path select) to stdout, as restic's
dump does; a directory ("/" for the whole snapshot) is written as a tar
archive. Every blob is authenticated as it is read: a damaged blob stops the
dump with an error (exit 1) rather than writing wrong bytes.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.archive != "tar" {
				return fmt.Errorf("--archive %q: only tar is supported", opts.archive)
			}
			return g.withReadLock(cmd.Context(), false, func(ctx context.Context, r *repo.Repository) error {
				sn, err := findSnapshot(ctx, r, g, args[0], opts.filter)
				if err != nil {
					return err
				}
				if opts.target == "" {
					return snaptree.Dump(ctx, r, *sn.Tree, args[1], g.stdout)
				}
				return dumpToFile(ctx, r, *sn.Tree, args[1], opts.target, g)
			})
		},
	}
	f := cmd.Flags()
	addSnapshotFilterFlags(f, &opts.filter, "H")
	f.StringVarP(&opts.archive, "archive", "a", "tar", "archive format for a directory (tar)")
	f.StringVarP(&opts.target, "target", "t", "", "write to this file instead of stdout (created, never overwritten)")
	return cmd
}

// dumpToFile dumps into a new file at target, which is removed again if
// the dump fails: no half-written dump is left looking complete.
func dumpToFile(ctx context.Context, r *repo.Repository, root format.ID, p, target string, g *globalOptions) (err error) {
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("dump target: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("dump target: %w", cerr)
		}
		if err != nil {
			os.Remove(target)
		}
	}()
	var total uint64 // known for a file; a folder's tar is not
	if n, lerr := snaptree.Lookup(ctx, r, root, p); lerr == nil && n.Type == format.NodeFile {
		total = n.Size
	}
	cw := &countingWriter{w: f}
	line := dumpProgress(g.stderr, g.quiet || g.json, cw, total)
	defer line.finish()
	return snaptree.Dump(ctx, r, root, p, cw)
}
