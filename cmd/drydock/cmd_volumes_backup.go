package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/pkg/archiver"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
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
type appReport struct {
	App             string     `json:"app"`
	Volumes         []string   `json:"volumes"`
	Paths           []string   `json:"paths,omitempty"`
	Tags            []string   `json:"tags,omitempty"`
	SnapshotID      string     `json:"snapshot_id,omitempty"`
	Parent          string     `json:"parent,omitempty"`
	Stopped         []string   `json:"stopped"`
	DowntimeSeconds float64    `json:"downtime_seconds"`
	Warm            *passStats `json:"warm,omitempty"`
	Final           *passStats `json:"final,omitempty"`
	Warnings        []string   `json:"warnings,omitempty"`
	Error           string     `json:"error,omitempty"`
}

// passStats are what one archiver pass did.
type passStats struct {
	FilesNew        uint    `json:"files_new"`
	FilesChanged    uint    `json:"files_changed"`
	FilesUnmodified uint    `json:"files_unmodified"`
	BytesProcessed  uint64  `json:"bytes_processed"`
	DataBlobs       int     `json:"data_blobs"`
	TreeBlobs       int     `json:"tree_blobs"`
	DataAdded       uint64  `json:"data_added"`
	DataAddedPacked uint64  `json:"data_added_packed"`
	Seconds         float64 `json:"duration_seconds"`
}

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
		return p.Render(g.stdout)
	}
	var reports []appReport
	err = g.withLock(ctx, false, func(ctx context.Context, r *repo.Repository) error {
		reports, err = backupVolumes(ctx, env.m, r, p, opts, g)
		return err
	})
	printVolumeReports(g, reports)
	return volumesExit(errors.Join(err, recovered), reports)
}

// volumesExit: non-zero when any app failed; 3 (incomplete) when all
// succeeded but some files could not be read.
func volumesExit(err error, reports []appReport) error {
	if err != nil {
		return err
	}
	for _, r := range reports {
		if len(r.Warnings) > 0 {
			return fmt.Errorf("%w: app %s", errIncomplete, r.App)
		}
	}
	return nil
}

// volumeBackup is one run over the apps of a plan, under one repository
// lock. Snapshots are loaded once and extended as they are written.
type volumeBackup struct {
	r    *repo.Repository
	opts volumesBackupOptions
	g    *globalOptions

	mu        sync.Mutex // the final pass runs on the Manager's goroutine
	snapshots []repo.Snapshot
	dirty     bool // blobs were saved since the index was loaded
	apps      map[string]*appState
}

// appState carries one app from its warm pass to its final pass.
type appState struct {
	report   appReport
	parent   *format.ID // previous snapshot of record
	warmTree *format.ID // the final pass's parent tree
}

func backupVolumes(ctx context.Context, m *volume.Manager, r *repo.Repository, p *volume.Plan, opts volumesBackupOptions, g *globalOptions) ([]appReport, error) {
	if err := r.LoadIndex(ctx); err != nil {
		return nil, err
	}
	sns, err := r.Snapshots(ctx)
	if err != nil {
		return nil, err
	}
	b := &volumeBackup{r: r, opts: opts, g: g, snapshots: sns, apps: map[string]*appState{}}
	results, err := m.BackupPlan(ctx, p, b.pass)
	reports := make([]appReport, 0, len(results))
	for _, res := range results {
		rep := appReport{App: res.App, Volumes: res.Volumes}
		b.mu.Lock()
		if st := b.apps[res.App]; st != nil {
			rep = st.report
		}
		b.mu.Unlock()
		rep.Stopped = []string{}
		for _, c := range res.Stopped {
			rep.Stopped = append(rep.Stopped, c.Name)
		}
		rep.DowntimeSeconds = res.Downtime.Seconds()
		if res.Err != nil {
			// A snapshot may have been written all the same (a post hook or
			// the restart failed): it stays in the report.
			rep.Error = res.Err.Error()
		}
		reports = append(reports, rep)
	}
	return reports, err
}

// pass is the volume.BackupFunc: the warm pass saves the app's volumes
// while it runs and keeps the tree; the final pass saves them again with
// that tree as parent, so that only files changed since are read, and
// writes the snapshot of record.
func (b *volumeBackup) pass(ctx context.Context, app volume.App, pass volume.Pass) error {
	b.mu.Lock()
	st := b.apps[app.Name]
	if st == nil {
		st = &appState{report: appReport{App: app.Name, Paths: appPaths(app), Tags: appTags(app)}}
		for _, v := range app.Volumes {
			st.report.Volumes = append(st.report.Volumes, v.Name)
		}
		b.apps[app.Name] = st
	}
	b.mu.Unlock()
	if pass == volume.PassWarm {
		return b.warm(ctx, st)
	}
	return b.final(ctx, st)
}

func (b *volumeBackup) warm(ctx context.Context, st *appState) error {
	if err := b.refreshIndex(ctx); err != nil {
		return err
	}
	b.mu.Lock()
	parent, ok := repo.FindParent(b.snapshots, b.opts.host, st.report.Paths, time.Now())
	b.mu.Unlock()
	var parentTree *format.ID
	if ok {
		st.parent = &parent.ID
		if !b.opts.force {
			parentTree = parent.Tree
		}
	}
	if b.opts.singlePass {
		st.warmTree = parentTree
		return nil
	}
	res, stats, err := b.save(ctx, st.report.Paths, parentTree)
	if err != nil {
		return fmt.Errorf("save %v: %w", st.report.Paths, err)
	}
	st.report.Warm = stats
	st.warmTree = &res.Tree
	// The saver wrote the new blobs' index files but not into the
	// in-memory index: reload now, while the app runs, so that the final
	// pass finds the warm pass's blobs and reads no unchanged file again.
	return b.refreshIndex(ctx)
}

func (b *volumeBackup) final(ctx context.Context, st *appState) error {
	start := time.Now()
	res, stats, err := b.save(ctx, st.report.Paths, st.warmTree)
	if err != nil {
		return fmt.Errorf("save %v: %w", st.report.Paths, err)
	}
	st.report.Final = stats
	for _, w := range res.Warnings {
		st.report.Warnings = append(st.report.Warnings, w.Error())
	}
	sn := &format.Snapshot{
		Time: start, Parent: st.parent, Tree: &res.Tree, Paths: st.report.Paths, Hostname: b.opts.host,
		Tags: st.report.Tags, ProgramVersion: "drydock " + version,
		Summary: &format.SnapshotSummary{
			BackupStart: start, BackupEnd: time.Now(),
			FilesNew: res.Stats.FilesNew, FilesChanged: res.Stats.FilesChanged, FilesUnmodified: res.Stats.FilesUnmodified,
			DirsNew: res.Stats.DirsNew, DirsChanged: res.Stats.DirsChanged, DirsUnmodified: res.Stats.DirsUnmodified,
			DataBlobs: stats.DataBlobs, TreeBlobs: stats.TreeBlobs, DataAdded: stats.DataAdded, DataAddedPacked: stats.DataAddedPacked,
			TotalFilesProcessed: res.Stats.FilesProcessed, TotalBytesProcessed: res.Stats.BytesProcessed,
		},
	}
	setOwner(sn)
	id, err := b.r.SaveSnapshot(ctx, sn)
	if err != nil {
		return fmt.Errorf("write snapshot of %v: %w", st.report.Paths, err)
	}
	st.report.SnapshotID = id.String()
	if st.parent != nil {
		st.report.Parent = st.parent.String()
	}
	b.mu.Lock()
	b.snapshots = append(b.snapshots, repo.Snapshot{ID: id, Snapshot: sn})
	b.mu.Unlock()
	return nil
}

// save runs the archiver over paths into new packs and index files.
func (b *volumeBackup) save(ctx context.Context, paths []string, parent *format.ID) (archiver.Result, *passStats, error) {
	start := time.Now()
	var res archiver.Result
	saved, err := b.r.WithBlobSaver(ctx, func(ctx context.Context, s *repo.BlobSaver) error {
		var err error
		res, err = archiver.Save(ctx, b.r, s, paths, parent, archiver.Options{Logger: b.g.logger()})
		return err
	})
	if saved.DataBlobs+saved.TreeBlobs > 0 {
		b.mu.Lock()
		b.dirty = true
		b.mu.Unlock()
	}
	if err != nil {
		return res, nil, err
	}
	return res, &passStats{
		FilesNew: res.Stats.FilesNew, FilesChanged: res.Stats.FilesChanged, FilesUnmodified: res.Stats.FilesUnmodified,
		BytesProcessed: res.Stats.BytesProcessed, DataBlobs: saved.DataBlobs, TreeBlobs: saved.TreeBlobs,
		DataAdded: saved.DataAdded, DataAddedPacked: saved.DataAddedPacked, Seconds: time.Since(start).Seconds(),
	}, nil
}

// refreshIndex reloads the index if blobs were saved since it was loaded.
func (b *volumeBackup) refreshIndex(ctx context.Context) error {
	b.mu.Lock()
	dirty := b.dirty
	b.dirty = false
	b.mu.Unlock()
	if !dirty {
		return nil
	}
	if err := b.r.LoadIndex(ctx); err != nil {
		return fmt.Errorf("reload index: %w", err)
	}
	return nil
}

// appPaths are the host paths of the app's volumes, sorted: the
// snapshot's paths, stable across runs so that parents are found.
func appPaths(app volume.App) []string {
	var out []string
	for _, v := range app.Volumes {
		out = append(out, v.Mountpoint)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// appTags are the app's group tags and each volume's tag.
func appTags(app volume.App) []string {
	tags := slices.Clone(app.Tags)
	for _, v := range app.Volumes {
		tags = append(tags, v.Tags...)
	}
	slices.Sort(tags)
	return slices.Compact(tags)
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
		if r.Error != "" {
			fmt.Fprintf(g.stderr, "app %s failed: %s\n", r.App, r.Error)
		}
		if g.quiet {
			continue
		}
		status := "snapshot " + shortSnapshotID(r.SnapshotID)
		if r.SnapshotID == "" {
			status = "no snapshot"
		}
		fmt.Fprintf(g.stdout, "app %s: %s, volumes %s, downtime %.2fs", r.App, status, strings.Join(r.Volumes, ", "), r.DowntimeSeconds)
		if len(r.Stopped) > 0 {
			fmt.Fprintf(g.stdout, " (stopped %s)", strings.Join(r.Stopped, ", "))
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
