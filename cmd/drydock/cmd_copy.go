package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/internal/humanize"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/retention"
	"github.com/drydock-backup/drydock/pkg/snapcopy"
)

type copyOptions struct {
	from   repoAccess
	filter retention.Filter
}

func newCopyCommand(g *globalOptions) *cobra.Command {
	var opts copyOptions
	cmd := &cobra.Command{
		Use:   "copy [SNAPSHOT...] --from-repo REPOSITORY",
		Short: "Copy snapshots from another repository into this one, as restic's copy",
		Long: `Copy copies snapshots of the source repository (--from-repo) into the
repository (-r): those named (an ID, a unique prefix, or latest), else all
that --host/--tag/--path select. A snapshot the repository already holds (a
copy made before, by drydock or restic: same original, time, tree, host,
user, paths and tags) is skipped; of the others, only the blobs the
repository lacks are read, re-encrypted and stored, then the index, then the
snapshot, whose "original" names the source's snapshot.

Both repositories get a shared lock. The data is not cut again: for later
backups into the repository to share data with the copies, create it with
"drydock init --from-repo SOURCE --copy-chunker-params".`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCopy(cmd.Context(), opts, g, args)
		},
	}
	f := cmd.Flags()
	addSourceFlags(f, &opts.from, "to copy snapshots from")
	addSnapshotFilterFlags(f, &opts.filter, "H")
	return cmd
}

// runCopy opens the destination, then the source, locks both (source
// first, as restic) and copies.
func runCopy(ctx context.Context, opts copyOptions, g *globalOptions, args []string) error {
	from, err := g.sourceLocation(&opts.from)
	if err != nil {
		return err
	}
	return g.withRepository(ctx, func(ctx context.Context, dst *repo.Repository) error {
		src, err := g.openSource(ctx, &opts.from, from, g.repoLocation())
		if err != nil {
			return err
		}
		defer src.Backend().Close()
		shared := repo.LockMode{}
		return src.WithLock(ctx, shared, func(ctx context.Context, _ *repo.Lock) error {
			return dst.WithLock(ctx, shared, func(ctx context.Context, _ *repo.Lock) error {
				return copySnapshots(ctx, src, dst, opts, g, args)
			})
		})
	})
}

func copySnapshots(ctx context.Context, src, dst *repo.Repository, opts copyOptions, g *globalOptions, args []string) error {
	sns, err := selectSnapshots(ctx, src, g, args, opts.filter)
	if err != nil {
		return fmt.Errorf("source repository: %w", err)
	}
	line, progress := copyProgress(g.stderr, g.quiet || g.json)
	sum, err := snapcopy.Run(ctx, src, dst, sns, snapcopy.Options{Logger: g.logger(), Progress: progress, Report: func(r snapcopy.Result) {
		if !g.quiet {
			line.clear() // drawn again at the next tick, below the line
			fmt.Fprintln(g.stdout, copyLine(r))
		}
	}})
	line.finish()
	if !g.quiet {
		fmt.Fprintln(g.stdout, copySummary(sum, len(sns)))
	}
	return err
}

// copyLine is one snapshot's outcome.
func copyLine(r snapcopy.Result) string {
	sn := r.Source
	head := fmt.Sprintf("snapshot %s of [%s] at %s by %s@%s", sn.ID.Str(), strings.Join(sn.Paths, " "),
		sn.Time.Local().Format("2006-01-02 15:04:05"), sn.Username, sn.Hostname)
	if r.Skipped {
		return fmt.Sprintf("%s: skipped, already in the destination as %s", head, r.Copy.Str())
	}
	s := r.Stats
	return fmt.Sprintf("%s: copied to %s (%d data and %d tree blobs new, %s)", head, r.Copy.Str(),
		s.DataBlobs, s.TreeBlobs, humanize.Bytes(s.DataAdded, 1))
}

// copySummary is the last line.
func copySummary(sum snapcopy.Summary, selected int) string {
	line := fmt.Sprintf("copied %d of %d snapshots, skipped %d already in the destination; added %d data and %d tree blobs (%s) in %d packs",
		sum.Copied, selected, sum.Skipped, sum.Stats.DataBlobs, sum.Stats.TreeBlobs, humanize.Bytes(sum.Stats.DataAdded, 1), sum.Stats.Packs)
	if rest := selected - sum.Copied - sum.Skipped; rest > 0 {
		line += fmt.Sprintf("; %d not copied", rest)
	}
	return line
}
