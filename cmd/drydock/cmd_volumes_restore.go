package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/internal/humanize"
	"github.com/drydock-backup/drydock/pkg/backup"
	"github.com/drydock-backup/drydock/pkg/fsnode"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/restorer"
	"github.com/drydock-backup/drydock/pkg/retention"
	"github.com/drydock-backup/drydock/pkg/volume"
)

func newVolumesRestoreCommand(g *globalOptions, vopts *volumesOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "restore SNAPSHOT VOLUME",
		Short: "Replace a Docker volume's content with a snapshot's, stopping its app meanwhile",
		Long: `Replace the content of the Docker volume VOLUME with its content in SNAPSHOT
(an ID, a unique prefix of one, or latest).

The snapshot is first restored into a staging directory beside the volume's
data (same filesystem) while the app still runs. Then the containers of the
volume's app are stopped in dependency order, the old data is renamed aside,
the staged data renamed in, and the containers started again, whatever
happened. The old data is removed only after the swap succeeded: a failed
restore leaves the volume as it was.

Running containers that mount VOLUME but are not stopped for its backup
(drydock.stop=false, or read-only mounts) must be stopped first.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVolumesRestore(cmd.Context(), vopts, g, args[0], args[1])
		},
	}
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
	vol, err := env.cli.VolumeInspect(ctx, volName)
	if err != nil {
		return fmt.Errorf("volume %s (create it first with docker volume create): %w", volName, err)
	}
	if err := checkSwappable(vol.Mountpoint); err != nil {
		return fmt.Errorf("volume %s: %w", volName, err)
	}
	rep := restoreReport{MessageType: "summary", Volume: volName, Mountpoint: vol.Mountpoint, Stopped: []string{}}
	err = g.withLock(ctx, false, func(ctx context.Context, r *repo.Repository) error {
		return restoreVolume(ctx, env, r, ref, &rep, g)
	})
	if err != nil {
		return errors.Join(err, recovered)
	}
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

// restoreVolume stages the snapshot's copy of the volume while the app
// runs, then stops the app, swaps the directories and starts it again.
func restoreVolume(ctx context.Context, env *volumesEnv, r *repo.Repository, ref string, rep *restoreReport, g *globalOptions) error {
	staging := siblingName(rep.Mountpoint, ".drydock-restore-")
	oldAt := "" // where the volume's old data is once swapped out
	defer func() {
		if oldAt != staging { // else staging holds the old data: see below
			os.RemoveAll(staging)
		}
	}()
	if err := stageVolume(ctx, r, ref, staging, rep, g); err != nil {
		return err
	}
	oldAt, err := swapStopped(ctx, env, staging, rep)
	if err != nil {
		if oldAt != "" {
			fmt.Fprintf(g.stderr, "volume %s holds the restored data; its old data is kept in %s\n", rep.Volume, oldAt)
		}
		return err
	}
	if rerr := os.RemoveAll(oldAt); rerr != nil {
		fmt.Fprintf(g.stderr, "warning: volume %s restored, but its old data is still in %s: %v\n", rep.Volume, oldAt, rerr)
	}
	return nil
}

// stageVolume restores the volume's directory of snapshot ref into
// staging, the directory's own metadata included.
func stageVolume(ctx context.Context, r *repo.Repository, ref, staging string, rep *restoreReport, g *globalOptions) error {
	sn, err := volumeSnapshot(ctx, r, g, ref, rep.Volume, rep.Mountpoint)
	if err != nil {
		return err
	}
	rep.SnapshotID = sn.ID.String()
	if rep.SnapshotPath, err = snapshotPathOf(sn, rep.Volume, rep.Mountpoint); err != nil {
		return err
	}
	node, err := findNode(ctx, r, *sn.Tree, rep.SnapshotPath)
	if err != nil {
		return fmt.Errorf("snapshot %s: %w", sn.ID.Str(), err)
	}
	st, err := restorer.Restore(ctx, r, *node.Subtree, staging, restorer.Options{Logger: g.logger()})
	if err != nil {
		return fmt.Errorf("restore snapshot %s into staging directory %s: %w", sn.ID.Str(), staging, err)
	}
	rep.Files, rep.Bytes = st.Files, st.Bytes
	return fsnode.ApplyMetadata(staging, node)
}

// swapStopped stops the volume's app (if it is backed up; else nothing may
// use the volume), swaps staging in, and starts the app again on every
// path. It returns where the old data is once swapped out.
func swapStopped(ctx context.Context, env *volumesEnv, staging string, rep *restoreReport) (oldAt string, err error) {
	p, err := env.m.Plan(ctx)
	if err != nil {
		return "", fmt.Errorf("plan (is the Docker daemon reachable?): %w", err)
	}
	app := appOfVolume(p, rep.Volume)
	start := time.Now()
	undo := volume.Undo(func(context.Context) error { return nil })
	if app != nil {
		undo, err = env.m.Stop(ctx, p, app)
		for _, d := range app.Stop {
			if d.Running {
				rep.Stopped = append(rep.Stopped, d.Container.Name)
			}
		}
	}
	if err == nil {
		err = checkUnused(ctx, env, rep.Volume)
	}
	if err == nil && ctx.Err() != nil {
		err = fmt.Errorf("volume %s not restored: %w", rep.Volume, context.Cause(ctx))
	}
	if err == nil {
		oldAt, err = swapDirs(rep.Mountpoint, staging, siblingName(rep.Mountpoint, ".drydock-old-"))
	}
	// Start again on every path, on a context SIGINT does not cut short
	// (Undo bounds itself with the Manager's restart timeout).
	if uerr := undo(context.WithoutCancel(ctx)); uerr != nil {
		err = errors.Join(err, uerr)
	}
	rep.DowntimeSeconds = time.Since(start).Seconds()
	return oldAt, err
}

// volumeSnapshot resolves ref for a volume restore: "latest" is the newest
// snapshot that holds the volume, not the newest of the repository (which
// is usually another app's).
func volumeSnapshot(ctx context.Context, r *repo.Repository, g *globalOptions, ref, name, mountpoint string) (repo.Snapshot, error) {
	if ref != "latest" {
		return findSnapshot(ctx, r, g, ref, retention.Filter{})
	}
	sns, err := selectTrees(ctx, r, g, nil, retention.Filter{})
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

// snapshotPathOf finds the snapshot path holding volume name: the
// volume's mountpoint now, else a .../<name>/_data path (the Docker root
// moved), else the lone path of a snapshot tagged volume=<name>.
func snapshotPathOf(sn repo.Snapshot, name, mountpoint string) (string, error) {
	if slices.Contains(sn.Paths, mountpoint) {
		return mountpoint, nil
	}
	var cands []string
	for _, p := range sn.Paths {
		if path.Base(p) == "_data" && path.Base(path.Dir(p)) == name {
			cands = append(cands, p)
		}
	}
	if len(cands) == 1 {
		return cands[0], nil
	}
	// A snapshot of the app's one volume: its one path besides the app's
	// own directory (dumps, definition).
	vols := slices.DeleteFunc(slices.Clone(sn.Paths), func(p string) bool { return strings.HasPrefix(p, backup.AppRoot+"/") })
	if len(vols) == 1 && slices.Contains(sn.Tags, "volume="+name) {
		return vols[0], nil
	}
	return "", fmt.Errorf("snapshot %s (paths %v) holds no copy of volume %s (mountpoint %s): pick one tagged volume=%s in drydock snapshots",
		sn.ID.Str(), sn.Paths, name, mountpoint, name)
}

// findNode walks the snapshot's tree to the directory at p.
func findNode(ctx context.Context, r *repo.Repository, root format.ID, p string) (*format.Node, error) {
	tree := root
	parts := strings.Split(strings.Trim(path.Clean(p), "/"), "/")
	for i, name := range parts {
		t, err := r.LoadTree(ctx, tree)
		if err != nil {
			return nil, err
		}
		var n *format.Node
		for _, c := range t.Nodes {
			if c.Name == name {
				n = c
				break
			}
		}
		switch {
		case n == nil:
			return nil, fmt.Errorf("%s: not in the snapshot", "/"+path.Join(parts[:i+1]...))
		case n.Type != format.NodeDir || n.Subtree == nil:
			return nil, fmt.Errorf("%s: not a directory in the snapshot", "/"+path.Join(parts[:i+1]...))
		case i == len(parts)-1:
			return n, nil
		}
		tree = *n.Subtree
	}
	return nil, fmt.Errorf("%q: not a directory path", p)
}

// checkSwappable refuses a mountpoint that is itself a mount (a volume
// with driver options, say): renaming it would not replace what
// containers see.
func checkSwappable(mountpoint string) error {
	var st, parent syscall.Stat_t
	if err := syscall.Stat(mountpoint, &st); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if err := syscall.Stat(filepath.Dir(mountpoint), &parent); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if st.Dev != parent.Dev {
		return fmt.Errorf("data directory %s is a mount point (a volume with driver options?): restore into it by hand", mountpoint)
	}
	return nil
}

// checkUnused fails when a running container still mounts the volume: it
// would go on seeing the old directory, which is then removed.
func checkUnused(ctx context.Context, env *volumesEnv, name string) error {
	list, err := env.cli.ContainerList(ctx, container.ListOptions{Filters: filters.NewArgs(filters.Arg("volume", name))})
	if err != nil {
		return fmt.Errorf("list containers using volume %s: %w", name, err)
	}
	var running []string
	for _, c := range list {
		if c.State == container.StateRunning && len(c.Names) > 0 {
			running = append(running, strings.TrimPrefix(c.Names[0], "/"))
		}
	}
	if len(running) > 0 {
		return fmt.Errorf("volume %s is used by running containers drydock does not stop for it (%s): stop them and retry",
			name, strings.Join(running, ", "))
	}
	return nil
}

// errNoExchange: the filesystem cannot exchange two directories atomically.
var errNoExchange = errors.New("atomic exchange not supported")

// exchange is exchangeDirs; tests replace it to take the two-rename path.
var exchange = exchangeDirs

// swapDirs puts staged in place of dir and returns where dir's old data is
// now. It exchanges the two atomically where the filesystem can (the old
// data is then at staged); else it renames dir to old and staged to dir,
// renaming old back if the second step fails. On error the volume keeps
// its old data. Both paths are in dir's directory: same filesystem.
func swapDirs(dir, staged, old string) (string, error) {
	err := exchange(staged, dir)
	if err == nil {
		return staged, syncParentDir(filepath.Dir(dir))
	}
	if !errors.Is(err, errNoExchange) {
		return "", fmt.Errorf("swap restored data in (old data kept): %w", err)
	}
	if err := os.Rename(dir, old); err != nil {
		return "", fmt.Errorf("move old data aside (old data kept): %w", err)
	}
	if err := os.Rename(staged, dir); err != nil {
		if berr := os.Rename(old, dir); berr != nil {
			return old, fmt.Errorf("move restored data in: %w; and moving the old data back failed, it is in %s: %w", err, old, berr)
		}
		return "", fmt.Errorf("move restored data in (old data kept): %w", err)
	}
	return old, syncParentDir(filepath.Dir(dir))
}

func syncParentDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// siblingName returns a fresh name beside p (same directory, so same
// filesystem) starting with prefix.
func siblingName(p, prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return filepath.Join(filepath.Dir(p), prefix+filepath.Base(p)+"-"+hex.EncodeToString(b[:]))
}
