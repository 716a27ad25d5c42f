package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/internal/humanize"
	"github.com/drydock-backup/drydock/pkg/apprestore"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/retention"
)

func newVolumesRestoreCommand(g *globalOptions, vopts *volumesOptions) *cobra.Command {
	var o appRestoreOptions
	cmd := &cobra.Command{
		Use:   "restore SNAPSHOT VOLUME | restore --app APP [--recreate] [--definition-target DIR] [SNAPSHOT]",
		Short: "Replace a Docker volume's content (or a whole app's) with a snapshot's, stopping its app meanwhile",
		Long: `Replace the content of the Docker volume VOLUME with its content in SNAPSHOT
(an ID, a unique prefix of one, or latest).

The snapshot is first restored into a staging directory beside the volume's
data (same filesystem) while the app still runs. Then the containers that
mount the volume, and those that depend on them, are stopped in dependency
order (the app's other containers keep running), the old data is renamed
aside, the staged data renamed in, and the containers started again,
whatever happened. The old data is removed only after the swap succeeded: a failed
restore leaves the volume as it was. A Swarm service is scaled to 0 instead,
and back, and the restore waits until its replicas run again. The staging
directory and the old data are listed in a journal in the state directory
before they are made: what a killed restore left beside the volume's data is
removed by the next volumes backup or restore.

Running containers that mount VOLUME but are not stopped for its backup
(drydock.stop=false, or read-only mounts) must be stopped first; drydock
checks this before it restores anything.

With --app APP, every volume of the app is restored from one snapshot of it
(default: the app's latest), all swapped in while the app is stopped, or
none. Volumes that no longer exist are created with their saved driver,
options and labels. With --recreate, the app's containers that no longer
exist are created from the snapshot's saved definition (loading the saved
image when the host lacks it, creating its networks), then started with the
rest of the app, providers first and healthy before their consumers.
An image rebuilt since under the same tag is used with a warning naming
both IDs; --saved-images loads the snapshot's instead. A failed restore
removes the containers, volumes and networks it created.
Existing containers are never replaced. This works on a new host with an
empty state directory: only the repository and its password are needed.
--definition-target DIR writes the app's compose files, .env and build
contexts into DIR/<project>/ (never over an existing file); without
--recreate that is all it does: no volume is restored, nothing stopped.
See what a snapshot can bring back with drydock volumes ls --snapshot ID.

With --dry-run (either form) nothing is changed: it prints the plan, the
volumes replaced or created with the files and bytes each gets, the
containers stopped and started again in their order, what --recreate would
create, and every precondition with whether it holds now. The exit code is
0 when all hold, 1 when one does not (named on stderr); --quiet prints
only that line, --json the plan as JSON. It takes no host lock, and no
repository lock with --no-lock.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if o.app == "" {
				if o.recreate || o.definitionTarget != "" || o.savedImages {
					return errors.New("--recreate, --saved-images and --definition-target need --app APP")
				}
				return cobra.ExactArgs(2)(cmd, args)
			}
			return cobra.MaximumNArgs(1)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.app != "" {
				ref := "latest"
				if len(args) == 1 {
					ref = args[0]
				}
				if o.dryRun {
					return runAppRestorePlan(cmd.Context(), vopts, g, ref, o)
				}
				return runAppRestore(cmd.Context(), vopts, g, ref, o)
			}
			if o.dryRun {
				return runVolumesRestorePlan(cmd.Context(), vopts, g, args[0], args[1])
			}
			return runVolumesRestore(cmd.Context(), vopts, g, args[0], args[1])
		},
	}
	readsWithoutLockOnDryRun(cmd)
	f := cmd.Flags()
	f.StringVar(&o.app, "app", "", "restore every volume of this app (as drydock volumes ls names it)")
	f.BoolVar(&o.recreate, "recreate", false, "with --app: create the app's containers that no longer exist from the snapshot")
	f.StringVar(&o.definitionTarget, "definition-target", "", "with --app: write the app's compose files and build contexts into this directory (alone: only that)")
	f.BoolVar(&o.savedImages, "saved-images", false, "with --recreate: create containers from the images the snapshot saved, even where this host has a rebuilt image under the same tag")
	f.BoolVarP(&o.dryRun, "dry-run", "n", false, "change nothing: print what the restore would stop, restore and create, and whether each precondition holds (exit 1 if one does not)")
	return cmd
}

type appRestoreOptions struct {
	app, definitionTarget         string
	recreate, savedImages, dryRun bool
}

// restoreReport is printed as text or --json.
type restoreReport struct {
	MessageType     string   `json:"message_type"`
	SnapshotID      string   `json:"snapshot_id"`
	Volume          string   `json:"volume"`
	Mountpoint      string   `json:"mountpoint"`
	SnapshotPath    string   `json:"snapshot_path"`
	Files           int      `json:"files"`
	Bytes           uint64   `json:"bytes"`
	Stopped         []string `json:"stopped"`
	DowntimeSeconds float64  `json:"downtime_seconds"`
}

func runVolumesRestore(ctx context.Context, vopts *volumesOptions, g *globalOptions, ref, volName string) error {
	env, recovered, err := openVolumes(ctx, vopts, g, true)
	if err != nil {
		return err
	}
	defer env.close()
	mountpoint, err := volumeMountpoint(ctx, env, volName)
	if err != nil {
		return err
	}
	var ar *apprestore.Report
	err = g.withLock(ctx, false, func(ctx context.Context, r *repo.Repository) error {
		sn, target, err := volumeTarget(ctx, r, g, ref, volName, mountpoint)
		if err != nil {
			return err
		}
		line, progress := restoreProgress(g.stderr, g.quiet || g.json)
		renv := env.restoreEnv(r, g)
		renv.Progress = progress
		ar, err = apprestore.RestoreVolumes(ctx, renv, sn, []apprestore.Target{target})
		line.finish()
		return err
	})
	if ar != nil {
		printWarnings(g, ar.Warnings)
	}
	if err != nil {
		return errors.Join(err, recovered)
	}
	v := ar.Volumes[0]
	rep := restoreReport{MessageType: "summary", SnapshotID: ar.SnapshotID, Volume: volName, Mountpoint: v.Mountpoint,
		SnapshotPath: v.SnapshotPath, Files: v.Files, Bytes: v.Bytes, Stopped: ar.Stopped, DowntimeSeconds: ar.DowntimeSeconds}
	switch {
	case g.json:
		_ = json.NewEncoder(g.stdout).Encode(rep)
	case !g.quiet:
		fmt.Fprintf(g.stdout, "restored %s of snapshot %s into volume %s: %d files, %s; downtime %.2fs",
			rep.SnapshotPath, shortSnapshotID(rep.SnapshotID), volName, rep.Files, humanize.Bytes(rep.Bytes, 3), rep.DowntimeSeconds)
		if len(rep.Stopped) > 0 {
			fmt.Fprintf(g.stdout, " (stopped %s)", strings.Join(rep.Stopped, ", "))
		}
		fmt.Fprintln(g.stdout)
	}
	return recovered
}

// volumeMountpoint is where volume volName, which must exist, has its data.
func volumeMountpoint(ctx context.Context, env *volumesEnv, volName string) (string, error) {
	vol, err := env.cli.VolumeInspect(ctx, volName)
	if err != nil {
		return "", fmt.Errorf("volume %s (create it first with docker volume create): %w", volName, err)
	}
	return vol.Mountpoint, nil
}

// volumeTarget finds the snapshot ref names for volume volName and the
// volume's directory in it.
func volumeTarget(ctx context.Context, r *repo.Repository, g *globalOptions, ref, volName, mountpoint string) (repo.Snapshot, apprestore.Target, error) {
	sn, err := volumeSnapshot(ctx, r, g, ref, volName, mountpoint)
	if err != nil {
		return sn, apprestore.Target{}, err
	}
	p, err := snapshotPathOf(sn, volName, mountpoint)
	return sn, apprestore.Target{Name: volName, SnapshotPath: p}, err
}

// sweepRestores removes what killed restores left beside volumes' data,
// before a backup or restore needs the room.
func sweepRestores(g *globalOptions, stateDir string) {
	swept, err := apprestore.Sweep(stateDir, g.logger())
	if len(swept) > 0 {
		fmt.Fprintf(g.stderr, "removed what interrupted restores left beside volumes' data: %v\n", swept)
	}
	if err != nil {
		fmt.Fprintf(g.stderr, "warning: %v\n", err)
	}
}

// restoreEnv is what pkg/apprestore works with.
func (e *volumesEnv) restoreEnv(r *repo.Repository, g *globalOptions) apprestore.Env {
	return apprestore.Env{Docker: e.cli, Volumes: e.m, Repo: r, Logger: g.logger(), StateDir: e.stateDir}
}

func printWarnings(g *globalOptions, ws []string) {
	for _, w := range ws {
		fmt.Fprintf(g.stderr, "warning: %s\n", w)
	}
}

// volumeSnapshot resolves ref for a volume restore: "latest" is the newest
// snapshot that holds the volume, not the newest of the repository (which
// is usually another app's).
func volumeSnapshot(ctx context.Context, r *repo.Repository, g *globalOptions, ref, name, mountpoint string) (repo.Snapshot, error) {
	if ref != "latest" {
		return findSnapshot(ctx, r, g, ref, retention.Filter{})
	}
	sns, err := latestCandidates(ctx, r)
	if err != nil {
		return repo.Snapshot{}, err
	}
	for i := len(sns) - 1; i >= 0; i-- {
		if _, err := snapshotPathOf(sns[i], name, mountpoint); err == nil {
			return sns[i], nil
		}
	}
	return repo.Snapshot{}, fmt.Errorf("%w: no snapshot holds volume %s (mountpoint %s)", repo.ErrSnapshotNotFound, name, mountpoint)
}

// snapshotPathOf: see apprestore.SnapshotPathOf.
func snapshotPathOf(sn repo.Snapshot, name, mountpoint string) (string, error) {
	return apprestore.SnapshotPathOf(sn, name, mountpoint)
}
