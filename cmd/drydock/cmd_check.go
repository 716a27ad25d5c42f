package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/pkg/checker"
	"github.com/drydock-backup/drydock/pkg/repo"
)

type checkOptions struct {
	readData       bool
	readDataSubset string
	withCache      bool
}

func newCheckCommand(g *globalOptions) *cobra.Command {
	var opts checkOptions
	cmd := &cobra.Command{
		Use:   "check [--read-data | --read-data-subset n/m|x%]",
		Short: "Check the repository for errors; exit code 1 if any is found",
		Long: `Check the repository: every index file loads, every indexed pack exists with
the right size, every snapshot's trees load and every blob they refer to is
indexed. --read-data also downloads every pack and verifies every blob;
--read-data-subset only a part of them (restic's syntax).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// The cache could hide what the check is for: a file damaged
			// or lost in the repository but intact in the cache. As
			// restic, the check reads the repository unless told.
			g.noCache = g.noCache || !opts.withCache
			// Exclusive, like restic: a prune running meanwhile would make
			// packs disappear under the check.
			return g.withListingLock(cmd.Context(), repo.LockMode{Exclusive: true}, func(ctx context.Context, r *repo.Repository) error {
				return runCheck(ctx, r, opts, g)
			})
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.readData, "read-data", false, "read and verify all data")
	f.BoolVar(&opts.withCache, "with-cache", false, "read index and snapshot files from the local cache, as restic's --with-cache (by default check reads them all from the repository)")
	f.StringVar(&opts.readDataSubset, "read-data-subset", "", "read and verify a subset of the data: n/m or x%")
	return cmd
}

// errCheckFailed is returned when the check found problems (exit code 1).
var errCheckFailed = fmt.Errorf("the repository contains errors")

func runCheck(ctx context.Context, r *repo.Repository, opts checkOptions, g *globalOptions) error {
	line, progress := checkProgress(g.stderr, g.quiet || g.json)
	rep, err := checker.Check(ctx, r, checker.Options{ReadData: opts.readData, ReadDataSubset: opts.readDataSubset, Progress: progress})
	line.finish()
	if err != nil {
		return err
	}
	if g.json {
		printCheckErrorsJSON(g, rep)
		if err := json.NewEncoder(g.stdout).Encode(rep); err != nil {
			return err
		}
	} else {
		rep.Print(g.stdout)
	}
	if !rep.OK() {
		return fmt.Errorf("%w (%d)", errCheckFailed, len(rep.Errors))
	}
	if !rep.Complete() {
		return fmt.Errorf("check incomplete: %d packs could not be read, so were not verified (first: %w); check again when the storage answers",
			len(rep.Unread), rep.Unread[0])
	}
	return nil
}

// printCheckErrorsJSON writes each error (and each pack that could not be
// read) on stderr as restic 0.19's check --json does, one
// {"message_type":"error","message":...} line each; the report, restic's
// summary among its fields, goes to stdout.
func printCheckErrorsJSON(g *globalOptions, rep *checker.Report) {
	enc := json.NewEncoder(g.stderr)
	for _, errs := range [][]error{rep.Errors, rep.Unread} {
		for _, err := range errs {
			_ = enc.Encode(struct {
				MessageType string `json:"message_type"`
				Message     string `json:"message"`
			}{"error", err.Error()})
		}
	}
}
