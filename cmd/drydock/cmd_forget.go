package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/resticjson"
	"github.com/drydock-backup/drydock/pkg/retention"
)

// forgetOptions are forget's flags: restic 0.14's names and meanings.
type forgetOptions struct {
	policy  retention.Policy
	filter  retention.Filter
	groupBy retention.GroupBy
	dryRun  bool
	compact bool
	prune   bool
	pruning pruneOptions
}

func (o *forgetOptions) addFlags(f *pflag.FlagSet) {
	p := &o.policy
	f.IntVarP(&p.Last, "keep-last", "l", 0, "keep the `n` newest snapshots")
	f.IntVarP(&p.Hourly, "keep-hourly", "H", 0, "keep the newest snapshot of each of the last `n` hours that have one")
	f.IntVarP(&p.Daily, "keep-daily", "d", 0, "keep the newest snapshot of each of the last `n` days that have one")
	f.IntVarP(&p.Weekly, "keep-weekly", "w", 0, "keep the newest snapshot of each of the last `n` ISO weeks that have one")
	f.IntVarP(&p.Monthly, "keep-monthly", "m", 0, "keep the newest snapshot of each of the last `n` months that have one")
	f.IntVarP(&p.Yearly, "keep-yearly", "y", 0, "keep the newest snapshot of each of the last `n` years that have one")
	const span = "`span` (like 1y2m3d4h) before the newest snapshot"
	f.Var(&p.Within, "keep-within", "keep every snapshot taken within "+span)
	f.Var(&p.WithinHourly, "keep-within-hourly", "keep the newest snapshot of each hour within "+span)
	f.Var(&p.WithinDaily, "keep-within-daily", "keep the newest snapshot of each day within "+span)
	f.Var(&p.WithinWeekly, "keep-within-weekly", "keep the newest snapshot of each ISO week within "+span)
	f.Var(&p.WithinMonthly, "keep-within-monthly", "keep the newest snapshot of each month within "+span)
	f.Var(&p.WithinYearly, "keep-within-yearly", "keep the newest snapshot of each year within "+span)
	f.Var(&p.Tags, "keep-tag", "keep every snapshot carrying all tags of `tag[,tag...]`; repeat for alternatives")
	addSnapshotFilterFlags(f, &o.filter, "")
	f.BoolVarP(&o.compact, "compact", "c", false, "print fewer columns")
	f.VarP(&o.groupBy, "group-by", "g", "apply the policy separately per `fields`: host, paths and/or tags, comma-separated; '' for one group")
	f.BoolVarP(&o.dryRun, "dry-run", "n", false, "only print what would be removed")
	f.SortFlags = false
}

// addSnapshotFilterFlags registers restic's --host, --tag and --path
// snapshot filters; hostShort is --host's shorthand ("H", as in restic's
// restore or snapshots, or "" where -H means something else, as in forget).
func addSnapshotFilterFlags(f *pflag.FlagSet, filter *retention.Filter, hostShort string) {
	f.StringArrayVarP(&filter.Hosts, "host", hostShort, nil, "consider only snapshots of `host`; repeat for several")
	f.Var(&filter.Tags, "tag", "consider only snapshots carrying all tags of `tag[,tag...]`; repeat for alternatives, '' for untagged")
	f.StringArrayVar(&filter.Paths, "path", nil, "consider only snapshots that include `path` exactly as recorded; repeat to require several")
}

func newForgetCommand(g *globalOptions) *cobra.Command {
	opts := forgetOptions{groupBy: retention.DefaultGroupBy}
	cmd := &cobra.Command{
		Use:   "forget [flags] [SNAPSHOT...]",
		Short: "Remove snapshots from the repository, by policy or by ID",
		Long: `Forget removes snapshots named on the command line (an ID, a unique ID prefix,
or "latest" of the snapshots --host/--tag/--path select), or else every snapshot
the --keep-* policy does not keep. The policy is applied to each group of
snapshots (see --group-by) on its own, after --host, --tag and --path have
narrowed the candidates. The choice is restic 0.14's for the same snapshots,
with two exceptions: negative --keep-* values are refused instead of keeping
nothing, and snapshots with equal times are taken in ID order.

Only snapshot files go; their data stays in the repository until a prune
(--prune runs one right after, under the same lock). The repository is
locked exclusively, for --dry-run as well. On storage that refuses deletes (an
append-only host: see the README) forget stops with exit 1 before changing
anything; --dry-run still works there. With -o s3.object-lock it keeps
snapshots still under retention, says until when, and exits 0; it extends
the retention of the snapshots the policy keeps.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runForget(cmd.Context(), opts, g, args)
		},
	}
	opts.addFlags(cmd.Flags())
	cmd.Flags().BoolVar(&opts.prune, "prune", false, "prune the repository afterwards, under the same lock (prune's flags apply)")
	opts.pruning.addFlags(cmd.Flags())
	return cmd
}

// errNoPolicy: forget with nothing to do is a mistake, not a success.
var errNoPolicy = errors.New("nothing to forget: give snapshot IDs or a policy (--keep-last, --keep-daily, --keep-within, --keep-tag, ...)")

func runForget(ctx context.Context, opts forgetOptions, g *globalOptions, args []string) error {
	if len(args) == 0 {
		if opts.policy.Empty() {
			return errNoPolicy
		}
		if err := opts.policy.Validate(); err != nil {
			return err
		}
	}
	return g.withRepository(ctx, func(ctx context.Context, r *repo.Repository) error {
		run := func(ctx context.Context, l *repo.Lock) error {
			removed, err := forgetLocked(ctx, r, opts, g, args)
			if err != nil || !opts.prune || len(removed) == 0 {
				return err
			}
			if opts.dryRun {
				// The snapshots are still there: a prune plan now would count
				// their data as used and report nothing to free.
				if !g.quiet && !g.json {
					fmt.Fprintln(g.stdout, "dry run: prune would run next; run drydock prune --dry-run after a real forget to see what it frees")
				}
				return nil
			}
			return pruneLocked(ctx, r, l, opts.pruning, g)
		}
		if opts.dryRun && g.noLock {
			return run(ctx, nil) // a dry run removes nothing
		}
		return r.WithLock(ctx, repo.LockMode{Exclusive: true, Deletes: !opts.dryRun}, run)
	})
}

// forgetLocked runs forget on r, which the caller has locked exclusively,
// and returns the IDs of the snapshots it removed (for a dry run, would
// have removed). A prune that follows under the same lock starts from them.
func forgetLocked(ctx context.Context, r *repo.Repository, opts forgetOptions, g *globalOptions, args []string) ([]format.ID, error) {
	if len(args) > 0 {
		if !opts.policy.Empty() {
			g.logger().Warn("snapshot IDs given: ignoring the --keep-* options", "policy", opts.policy.String())
		}
		return forgetByID(ctx, r, opts, g, args)
	}
	groupBy := opts.groupBy
	res, err := retention.Forget(ctx, r, retention.Options{
		Policy: opts.policy, Filter: opts.filter, GroupBy: &groupBy, DryRun: opts.dryRun,
	})
	if res.Groups == nil && err != nil {
		return nil, repo.RefuseDeleteIfDamaged(err)
	}
	if perr := printForget(g, opts, res); perr != nil && err == nil {
		err = perr
	}
	lines := res.Retained.Lines()
	if opts.dryRun {
		for i, l := range lines {
			lines[i] = "dry run: would have " + l
		}
	}
	printRetained(g, lines)
	return res.Removed, err
}

// forgetByID removes the snapshots named by args. Like restic, it removes
// every snapshot it can resolve; unlike restic 0.14, a name that resolves
// to nothing makes the command fail afterwards.
func forgetByID(ctx context.Context, r *repo.Repository, opts forgetOptions, g *globalOptions, args []string) ([]format.ID, error) {
	sns, err := r.Snapshots(ctx)
	if err != nil {
		return nil, repo.RefuseDeleteIfDamaged(err)
	}
	var ids []format.ID
	var errs []error
	for _, ref := range args {
		pool := sns
		if ref == "latest" {
			pool = opts.filter.Select(sns)
		}
		sn, err := repo.FindSnapshot(pool, ref)
		if err != nil {
			errs = append(errs, fmt.Errorf("snapshot %q: %w", ref, err))
			continue
		}
		if !slices.Contains(ids, sn.ID) {
			ids = append(ids, sn.ID)
		}
	}
	removed := ids
	var kept retention.Retained
	if !opts.dryRun {
		removed, kept, err = retention.RemoveUnlessRetained(ctx, r, ids)
		errs = append(errs, err)
	}
	if !g.json && !g.quiet {
		verb := "removed"
		if opts.dryRun {
			verb = "would remove"
		}
		for _, id := range removed {
			fmt.Fprintf(g.stdout, "%s snapshot %s\n", verb, id.Str())
		}
	}
	printRetained(g, kept.Lines())
	return removed, errors.Join(errs...)
}

// printRetained tells what S3 Object Lock kept or extended: on stdout
// with the rest of the text, on stderr beside JSON, which stays restic's.
func printRetained(g *globalOptions, lines []string) {
	w := g.stdout
	switch {
	case g.json:
		w = g.stderr
	case g.quiet:
		return
	}
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
}

// forgetGroupJSON is an element of restic's `forget --json` output.
type forgetGroupJSON struct {
	Tags    []string              `json:"tags"`
	Host    string                `json:"host"`
	Paths   []string              `json:"paths"`
	Keep    []resticjson.Snapshot `json:"keep"`
	Remove  []resticjson.Snapshot `json:"remove"`
	Reasons []keepReasonJSON      `json:"reasons"`
}

// keepReasonJSON is restic's reason object: the snapshot document (no ID),
// the matching options and the slots left.
type keepReasonJSON struct {
	Snapshot *format.Snapshot   `json:"snapshot"`
	Matches  []string           `json:"matches"`
	Counters retention.Counters `json:"counters"`
}

func printForget(g *globalOptions, opts forgetOptions, res retention.Result) error {
	if g.json {
		return printForgetJSON(g.stdout, res.Groups)
	}
	if g.quiet {
		return nil
	}
	fmt.Fprintf(g.stdout, "Applying policy: %v\n", opts.policy)
	for _, grp := range res.Groups {
		if err := printForgetGroup(g.stdout, opts, grp); err != nil {
			return err
		}
	}
	verb := "removed"
	if opts.dryRun {
		verb = "would remove"
	}
	_, err := fmt.Fprintf(g.stdout, "%s %d snapshots\n", verb, len(res.Removed))
	return err
}

func printForgetJSON(w io.Writer, groups []retention.GroupResult) error {
	out := make([]forgetGroupJSON, 0, len(groups))
	for _, grp := range groups {
		fg := forgetGroupJSON{Tags: grp.Key.Tags, Host: grp.Key.Hostname, Paths: grp.Key.Paths,
			Keep: toSnapshotJSON(grp.Keep), Remove: toSnapshotJSON(grp.Remove)}
		for _, r := range grp.Reasons {
			fg.Reasons = append(fg.Reasons, keepReasonJSON{Snapshot: r.Snapshot.Snapshot, Matches: r.Matches, Counters: r.Counters})
		}
		out = append(out, fg)
	}
	return json.NewEncoder(w).Encode(out)
}

// toSnapshotJSON converts a list, keeping nil as nil: restic prints an
// empty keep or remove list as null.
func toSnapshotJSON(sns []repo.Snapshot) []resticjson.Snapshot {
	var out []resticjson.Snapshot
	for _, sn := range sns {
		out = append(out, resticjson.NewSnapshot(sn))
	}
	return out
}

// printForgetGroup prints one group's decision as two tables, oldest first
// like the snapshots command, one line per reason.
func printForgetGroup(w io.Writer, opts forgetOptions, grp retention.GroupResult) error {
	if head := describeGroup(opts.groupBy, grp.Key); head != "" {
		fmt.Fprintf(w, "snapshots for (%s):\n", head)
	}
	reasons := map[format.ID][]string{}
	for _, r := range grp.Reasons {
		reasons[r.Snapshot.ID] = r.Matches
	}
	for _, part := range []struct {
		verb string
		sns  []repo.Snapshot
	}{{"keep", grp.Keep}, {"remove", grp.Remove}} {
		if len(part.sns) == 0 {
			continue
		}
		fmt.Fprintf(w, "%s %d snapshots:\n", part.verb, len(part.sns))
		if err := printSnapshotTable(w, part.sns, reasons, part.verb == "keep", opts.compact); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	return nil
}

// describeGroup names the grouped fields of key: "host [h], paths [/a, /b]".
func describeGroup(by retention.GroupBy, key retention.GroupKey) string {
	var parts []string
	if by.Host {
		parts = append(parts, "host ["+key.Hostname+"]")
	}
	if by.Paths {
		parts = append(parts, "paths ["+strings.Join(key.Paths, ", ")+"]")
	}
	if by.Tags {
		parts = append(parts, "tags ["+strings.Join(key.Tags, ", ")+"]")
	}
	return strings.Join(parts, ", ")
}
