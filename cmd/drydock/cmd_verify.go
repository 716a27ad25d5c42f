package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/verify"
)

type verifyOptions struct {
	scratch string
	filter  snapshotFilter
}

func newVerifyCommand(g *globalOptions) *cobra.Command {
	var opts verifyOptions
	cmd := &cobra.Command{
		Use:   "verify [SNAPSHOT]",
		Short: "Restore a snapshot into a scratch directory and compare it with the snapshot's content hashes",
		Long: `Prove that a snapshot (an ID, a prefix of one, or latest, the default) can be
restored: restore it into a new directory below --scratch, then compare every
restored entry with the snapshot. Files must have their recorded size, and
each range of a file that one of its data blobs covers must hash to that
blob's ID; types, symlink targets, mode bits, modification times and
hardlinks must be as recorded, and nothing else may be there. The restore is
removed afterwards, whatever happens: --scratch needs room for the snapshot.

--host, --path and --tag narrow the snapshots SNAPSHOT is looked up among,
as in restic: "drydock verify --tag volume=db" checks the latest snapshot of
that volume. Use "drydock check --read-data-subset" for the packs' integrity.

The exit code is 1 when the restore fails or differs from the snapshot.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref := "latest"
			if len(args) == 1 {
				ref = args[0]
			}
			return g.withLock(cmd.Context(), false, func(ctx context.Context, r *repo.Repository) error {
				return runVerify(ctx, r, opts, g, ref)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.scratch, "scratch", "", "directory to restore into, in a new subdirectory removed afterwards (default: the system's temporary directory)")
	opts.filter.addFlags(f)
	return cmd
}

// verifySummary is the --json output of verify.
type verifySummary struct {
	MessageType string `json:"message_type"`
	SnapshotID  string `json:"snapshot_id"`
	verify.Report
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

func runVerify(ctx context.Context, r *repo.Repository, opts verifyOptions, g *globalOptions, ref string) error {
	sn, err := findFilteredSnapshot(ctx, r, ref, opts.filter)
	if err != nil {
		return err
	}
	scratch := opts.scratch
	if scratch == "" {
		scratch = os.TempDir()
	}
	if !g.quiet && !g.json {
		fmt.Fprintf(g.stdout, "verifying snapshot %s of %v (restore below %s)\n", sn.ID.Str(), sn.Paths, scratch)
	}
	rep, err := verify.RestoreTest(ctx, r, *sn.Tree, scratch, verify.Options{Logger: g.logger()})
	if err != nil {
		err = fmt.Errorf("verify snapshot %s: %w", sn.ID.Str(), err)
	}
	if g.json {
		sum := verifySummary{MessageType: "summary", SnapshotID: sn.ID.String(), Report: rep, OK: err == nil}
		if err != nil {
			sum.Error = err.Error()
		}
		if jerr := json.NewEncoder(g.stdout).Encode(sum); jerr != nil {
			return errors.Join(err, jerr)
		}
		return err
	}
	for _, m := range rep.Mismatches {
		fmt.Fprintf(g.stderr, "mismatch: %v\n", m)
	}
	if n := rep.MismatchCount - len(rep.Mismatches); n > 0 {
		fmt.Fprintf(g.stderr, "... and %d more mismatches\n", n)
	}
	if err == nil && !g.quiet {
		fmt.Fprintf(g.stdout, "snapshot %s verified: %d files (%d bytes in %d blobs), %d dirs, %d symlinks, %d other entries match\n",
			sn.ID.Str(), rep.Files, rep.Bytes, rep.Blobs, rep.Dirs, rep.Symlinks, rep.Other)
	}
	return err
}

// findFilteredSnapshot loads the index and resolves ref among the
// snapshots that f keeps.
func findFilteredSnapshot(ctx context.Context, r *repo.Repository, ref string, f snapshotFilter) (repo.Snapshot, error) {
	if err := r.LoadIndex(ctx); err != nil {
		return repo.Snapshot{}, err
	}
	sns, err := r.Snapshots(ctx)
	if err != nil {
		return repo.Snapshot{}, err
	}
	sn, err := repo.FindSnapshot(f.apply(sns), ref)
	if err != nil && !f.empty() {
		return sn, fmt.Errorf("%w (among snapshots with %s)", err, f)
	}
	return sn, err
}

// snapshotFilter selects snapshots as restic's --host, --path and --tag
// do: a snapshot matches when its host is one of hosts, its paths include
// every one of paths, and it has all tags of at least one tag list (a
// comma-separated --tag value; an empty one matches untagged snapshots).
// An empty criterion matches everything.
type snapshotFilter struct {
	hosts, paths, tags []string
}

func (f *snapshotFilter) addFlags(fs *pflag.FlagSet) {
	fs.StringArrayVarP(&f.hosts, "host", "H", nil, "only consider snapshots of this host (repeatable: any)")
	fs.StringArrayVar(&f.paths, "path", nil, "only consider snapshots including this absolute path (repeatable: all)")
	fs.StringArrayVar(&f.tags, "tag", nil, "only consider snapshots with all these comma-separated tags (repeatable: any list)")
}

func (f snapshotFilter) empty() bool { return len(f.hosts)+len(f.paths)+len(f.tags) == 0 }

func (f snapshotFilter) String() string {
	var parts []string
	for _, h := range f.hosts {
		parts = append(parts, "host "+h)
	}
	for _, p := range f.paths {
		parts = append(parts, "path "+p)
	}
	for _, t := range f.tags {
		parts = append(parts, "tags "+t)
	}
	return strings.Join(parts, ", ")
}

func (f snapshotFilter) apply(sns []repo.Snapshot) []repo.Snapshot {
	if f.empty() {
		return sns
	}
	var out []repo.Snapshot
	for _, sn := range sns {
		if f.match(sn) {
			out = append(out, sn)
		}
	}
	return out
}

func (f snapshotFilter) match(sn repo.Snapshot) bool {
	if len(f.hosts) > 0 && !slices.Contains(f.hosts, sn.Hostname) {
		return false
	}
	for _, p := range f.paths {
		if !slices.Contains(sn.Paths, filepath.Clean(p)) {
			return false
		}
	}
	if len(f.tags) == 0 {
		return true
	}
	return slices.ContainsFunc(f.tags, func(list string) bool { return hasTags(sn.Tags, list) })
}

// hasTags reports whether have holds every tag of the comma-separated
// list; an empty list asks for no tags at all.
func hasTags(have []string, list string) bool {
	want := splitTags(list)
	if len(want) == 0 {
		return len(have) == 0
	}
	for _, t := range want {
		if !slices.Contains(have, t) {
			return false
		}
	}
	return true
}

func splitTags(list string) []string {
	var out []string
	for _, t := range strings.Split(list, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}
