package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/prune"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/compress"
)

type pruneOptions struct {
	prune.Options
	dryRun bool
}

func newPruneCommand(g *globalOptions) *cobra.Command {
	var opts pruneOptions
	cmd := &cobra.Command{
		Use:   "prune [--max-unused X] [--max-repack-size S] [--dry-run]",
		Short: "Remove data that no snapshot uses",
		Long: `Remove data that no snapshot uses, as restic prune does: delete unused packs
and packs no index refers to, repack partly used packs until at most
--max-unused space stays unused, and rewrite the index. Packs mixing data and
trees, and in version 2 repositories packs with uncompressed trees, are always
repacked. Prune refuses to run if a snapshot refers to data that is missing.

Prune takes an exclusive lock: it waits for running backups (--retry-lock) and
backups wait for it. --dry-run prints what would be done and changes nothing.
On storage that refuses deletes (an append-only host: see the README) it stops
with exit 1 before changing anything. With -o s3.object-lock it keeps what is
still under retention, says until when, and exits 0; it extends the retention
of the packs, keys and config the snapshots need, and writes the index anew
when its files are due.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPrune(cmd.Context(), opts, g)
		},
	}
	opts.addFlags(cmd.Flags())
	cmd.Flags().BoolVarP(&opts.dryRun, "dry-run", "n", false, "print what would be done, change nothing")
	return cmd
}

// addFlags adds prune's tuning flags (forget --prune takes them too).
func (opts *pruneOptions) addFlags(f *pflag.FlagSet) {
	f.Var(&opts.MaxUnused, "max-unused", "tolerate this much unused space: a percentage, a size (suffixes k, m, g, t) or 'unlimited'")
	f.Var(&opts.MaxRepackSize, "max-repack-size", "repack at most this many bytes (suffixes k, m, g, t)")
	f.BoolVar(&opts.RepackCacheableOnly, "repack-cacheable-only", false, "only repack packs of tree blobs")
	f.BoolVar(&opts.RepackSmall, "repack-small", false, "repack packs below 80% of the target pack size")
	f.BoolVar(&opts.RepackUncompressed, "repack-uncompressed", false, "repack packs with uncompressed data (repository version 2)")
	f.BoolVar(&opts.ForgetMissingPacks, "forget-missing-packs", false, "drop indexed packs that are missing from storage and hold no used data")
}

// pruneSummary is the --json output.
type pruneSummary struct {
	MessageType string        `json:"message_type"`
	DryRun      bool          `json:"dry_run"`
	Stats       prune.Stats   `json:"stats"`
	Result      *prune.Result `json:"result,omitempty"`
}

func runPrune(ctx context.Context, opts pruneOptions, g *globalOptions) error {
	return g.withRepository(ctx, func(ctx context.Context, r *repo.Repository) error {
		if opts.dryRun && g.noLock {
			return pruneLocked(ctx, r, nil, opts, g) // a dry run uses no lock
		}
		return r.WithLock(ctx, repo.LockMode{Exclusive: true, Deletes: !opts.dryRun}, func(ctx context.Context, l *repo.Lock) error {
			return pruneLocked(ctx, r, l, opts, g)
		})
	})
}

// pruneLocked prunes r, which the caller holds exclusively with l (nil for
// a dry run under --no-lock, which removes nothing).
func pruneLocked(ctx context.Context, r *repo.Repository, l *repo.Lock, opts pruneOptions, g *globalOptions) error {
	text := !g.json && !g.quiet
	if opts.RepackUncompressed && g.compression == compress.ModeOff {
		return errors.New("--repack-uncompressed needs compression; it cannot be combined with --compression off")
	}
	if opts.RepackUncompressed && r.Config().Version < 2 {
		return fmt.Errorf("--repack-uncompressed needs repository version 2, this one is version %d", r.Config().Version)
	}
	popts := opts.Options
	popts.Logger = g.logger()
	// The repacking stage has a status line on a terminal, bytes of the
	// total; every stage ends the one before.
	var line *statusLine
	var update func(done, total uint64)
	defer func() { line.finish() }()
	popts.Progress = func(s prune.Stage) {
		line.finish()
		if text {
			fmt.Fprintf(g.stdout, "%s\n", s)
		}
		if s == prune.StageRepack {
			line, update = bytesProgress(g.stderr, g.quiet || g.json, repackStatusText)
		}
	}
	popts.RepackProgress = func(done, total uint64) {
		if update != nil {
			update(done, total)
		}
	}
	plan, err := prune.NewPlan(ctx, r, popts)
	if err != nil {
		return err
	}
	sum := pruneSummary{MessageType: "summary", DryRun: opts.dryRun, Stats: plan.Stats()}
	if text {
		fmt.Fprintln(g.stdout)
		sum.Stats.Print(g.stdout)
		fmt.Fprintln(g.stdout)
	}
	if !opts.dryRun {
		res, err := plan.Execute(ctx, l)
		sum.Result = &res
		if err != nil {
			return err
		}
	}
	printPruneSummary(g, sum)
	if sum.Result != nil && !g.json { // JSON has them in the summary
		printRetained(g, slices.Concat(sum.Result.Retained.Lines(), extensionLines(sum.Result.Extension)))
	} else if !g.json && !g.quiet {
		for _, line := range plan.Retained().Lines() {
			fmt.Fprintln(g.stdout, "dry run: would have "+line)
		}
	}
	return nil
}

func extensionLines(e *backend.Extension) []string {
	if e == nil {
		return nil
	}
	return e.Lines()
}

func printPruneSummary(g *globalOptions, s pruneSummary) {
	switch {
	case g.json:
		_ = json.NewEncoder(g.stdout).Encode(s)
	case g.quiet:
	case s.DryRun:
		fmt.Fprintf(g.stdout, "dry run: would repack %d packs, delete %d unused and %d unreferenced packs and free %s; nothing was changed\n",
			s.Stats.Packs.Repack, s.Stats.Packs.Remove, s.Stats.Unreferenced.Packs, humanBytes(s.Stats.Freed().Bytes))
	default:
		r := s.Result
		fmt.Fprintf(g.stdout, "repacked %d blobs into %d new packs (%s); deleted %d packs (%s) and %d index files\n",
			r.BlobsRepacked, r.PacksWritten, humanBytes(r.BytesWritten), r.PacksDeleted, humanBytes(r.BytesDeleted), r.IndexFilesDeleted)
		fmt.Fprintln(g.stdout, "done")
	}
}
