package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/backup"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/volume"
)

type volumesBackupOptions struct {
	dryRun bool
	host   string
	force  bool
	// singlePass skips the warm pass: the naive stop-backup-start that the
	// downtime benchmark compares against. Not a flag.
	singlePass bool
}

func newVolumesBackupCommand(g *globalOptions, vopts *volumesOptions) *cobra.Command {
	var opts volumesBackupOptions
	cmd := &cobra.Command{
		Use:   "backup [SELECTOR...]",
		Short: "Back up Docker volumes, app by app, with their containers stopped only for a short final pass",
		Long: `Back up the volumes of the plan (see "drydock volumes ls"), or of the apps that
SELECTORs name (an app, group or volume name; a volume selects its whole app).

For each app: its pre hooks run; a first pass saves the volumes while the app
runs; its containers are stopped in dependency order; a second pass, which
reads only files changed since the first, writes the snapshot of record; the
containers are started again in reverse order, whatever happened; the post
hooks run. Each app gets one snapshot whose paths are its volumes' host paths,
tagged volume=<name> per volume and group=<name> per group, so that parent
snapshots and retention work per volume and per app.

The exit code is non-zero when any app failed; the other apps are backed up.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVolumesBackup(cmd.Context(), vopts, opts, g, args)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&opts.dryRun, "dry-run", "n", false, "print the plan and do nothing")
	f.StringVar(&opts.host, "host", "", "hostname to record (default: this host's name)")
	f.BoolVar(&opts.force, "force", false, "read every file in the first pass, ignoring the parent snapshot")
	return cmd
}

// appReport is the outcome of one app, printed as text or --json.
type appReport = backup.AppReport

func runVolumesBackup(ctx context.Context, vopts *volumesOptions, opts volumesBackupOptions, g *globalOptions, selectors []string) error {
	if opts.host == "" {
		opts.host, _ = os.Hostname()
	}
	env, recovered, err := openVolumes(ctx, vopts, g, !opts.dryRun)
	if err != nil {
		return err
	}
	defer env.close()
	p, err := env.selectedPlan(ctx, selectors)
	if err != nil {
		return err
	}
	if opts.dryRun {
		if g.json {
			return json.NewEncoder(g.stdout).Encode(planView(p, nil))
		}
		return renderPlan(g.stdout, p)
	}
	var reports []appReport
	err = g.withRepository(ctx, func(ctx context.Context, r *repo.Repository) error {
		reports, err = backupVolumes(ctx, env.m, r, p, opts, g)
		return err
	})
	printVolumeReports(g, reports)
	err = summarizeFailures(err, reports)
	malformed := 0
	if len(selectors) == 0 { // else only the named apps are this run's business
		malformed = warnMalformed(g, p)
	}
	if err := volumesExit(errors.Join(err, recovered), reports); err != nil {
		return err
	}
	if malformed > 0 {
		return fmt.Errorf("%w: %d volumes skipped for malformed labels", errIncomplete, malformed)
	}
	return nil
}

// warnMalformed names each volume skipped for labels drydock could not
// read: the user meant something by them, and nothing of it happened.
func warnMalformed(g *globalOptions, p *appplan.Plan) int {
	n := 0
	for _, s := range p.Skipped {
		if s.Malformed {
			n++
			fmt.Fprintf(g.stderr, "warning: volume %s not backed up: %s\n", s.Name, s.Reason)
		}
	}
	return n
}

// appsFailedError stands for the failures of apps the report printed
// already, each with its context: the final error line only counts them.
// It unwraps to them, so that exit codes still see what happened.
type appsFailedError struct {
	failed []string
	err    error
}

func (e *appsFailedError) Error() string {
	return fmt.Sprintf("%d app(s) failed: %s (see above)", len(e.failed), strings.Join(e.failed, ", "))
}

func (e *appsFailedError) Unwrap() error { return e.err }

// summarizeFailures turns the joined app failures backup.Volumes returns
// into one line naming the apps, when the report has printed each.
func summarizeFailures(err error, reports []appReport) error {
	if err == nil {
		return nil
	}
	var failed []string
	for _, r := range reports {
		if r.Error != "" {
			failed = append(failed, r.App)
		}
	}
	if len(failed) == 0 {
		return err
	}
	return &appsFailedError{failed: failed, err: err}
}

// volumesExit: non-zero when any app failed; 3 (incomplete) when all
// succeeded but some files could not be read or some dumps not taken.
func volumesExit(err error, reports []appReport) error {
	if err != nil {
		return err
	}
	for _, r := range reports {
		if len(r.Warnings) > 0 {
			return fmt.Errorf("%w: app %s: some files could not be read", errIncomplete, r.App)
		}
		if len(r.DumpWarnings) > 0 {
			return fmt.Errorf("%w: app %s: %s", errIncomplete, r.App, strings.Join(r.DumpWarnings, "; "))
		}
	}
	return nil
}

func backupVolumes(ctx context.Context, m *volume.Manager, r *repo.Repository, p *appplan.Plan, opts volumesBackupOptions, g *globalOptions) ([]appReport, error) {
	line, progress := volumesProgress(g.stderr, g.quiet || g.json)
	defer line.finish()
	return backup.RunVolumes(ctx, m, r, p, backup.VolumeOptions{
		Host: opts.host, Force: opts.force, SinglePass: opts.singlePass, Program: "drydock " + version, Logger: g.logger(),
		Progress: progress,
	})
}

func printVolumeReports(g *globalOptions, reports []appReport) {
	if g.json {
		failed := 0
		for _, r := range reports {
			if r.Error != "" {
				failed++
			}
		}
		_ = json.NewEncoder(g.stdout).Encode(map[string]any{"message_type": "summary", "apps": listOrEmpty(reports), "failed": failed})
		return
	}
	if len(reports) == 0 && !g.quiet {
		fmt.Fprintln(g.stdout, "nothing to back up (see drydock volumes ls)")
	}
	for _, r := range reports {
		for _, w := range r.Warnings {
			fmt.Fprintf(g.stderr, "warning: app %s: %s\n", r.App, w)
		}
		for _, w := range append(slices.Clone(r.KillWarnings), r.DumpWarnings...) {
			fmt.Fprintf(g.stderr, "warning: app %s: %s\n", r.App, w)
		}
		if r.Error != "" {
			fmt.Fprintf(g.stderr, "app %s failed: %s\n", r.App, strings.TrimPrefix(r.Error, "app "+r.App+": "))
		}
		if g.quiet {
			continue
		}
		status := "snapshot " + shortSnapshotID(r.SnapshotID)
		if r.SnapshotID == "" {
			status = "no snapshot"
		}
		fmt.Fprintf(g.stdout, "app %s: %s, volumes %s, downtime %.2fs", r.App, status, strings.Join(r.Volumes, ", "), r.DowntimeSeconds)
		if r.FrozenSeconds > 0 {
			fmt.Fprintf(g.stdout, " (frozen %.3fs: %s)", r.FrozenSeconds, strings.Join(r.Paused, ", "))
		}
		if len(r.Scaled) > 0 {
			fmt.Fprintf(g.stdout, ", scaled %s to 0 and back", strings.Join(r.Scaled, ", "))
		}
		if len(r.Stopped) > 0 {
			fmt.Fprintf(g.stdout, " (stopped %s)", strings.Join(r.Stopped, ", "))
		}
		if len(r.Killed) > 0 {
			fmt.Fprintf(g.stdout, " (killed at stop timeout: %s)", strings.Join(r.Killed, ", "))
		}
		if r.Final != nil {
			fmt.Fprintf(g.stdout, "; final pass: %d new, %d changed, %d unmodified files, %d bytes added",
				r.Final.FilesNew, r.Final.FilesChanged, r.Final.FilesUnmodified, r.Final.DataAdded)
		}
		fmt.Fprintln(g.stdout)
	}
}

func shortSnapshotID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
