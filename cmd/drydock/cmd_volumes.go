package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/docker/docker/client"
	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/internal/statedir"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/backup"
	"github.com/drydock-backup/drydock/pkg/drill"
	"github.com/drydock-backup/drydock/pkg/orchestrate/config"
	"github.com/drydock-backup/drydock/pkg/volume"
)

// volumesOptions are the flags of every `drydock volumes` sub-command.
type volumesOptions struct {
	stateDir     string
	includeBinds bool
	maxDowntime  time.Duration
	lockWait     time.Duration
}

func newVolumesCommand(g *globalOptions) *cobra.Command {
	var opts volumesOptions
	cmd := &cobra.Command{
		Use:   "volumes",
		Short: "Back up and restore Docker volumes, stopping their containers in dependency order",
		Long: `Back up and restore Docker volumes. What is backed up, and which containers
stop while it is, comes from labels on volumes and containers (drydock.backup,
drydock.stop, drydock.group, drydock.hook.pre, ...); see "drydock volumes ls".

Only one drydock at a time stops and starts containers of a Docker engine,
whatever its state directory: the host lock is a file in drydock's own
volume ` + volume.HostLockVolume + `, so the host CLI, a "docker exec" in the agent
container, the agent and a systemd daemon all take the same one. Another
command waits for it up to --lock-wait, then fails naming the holder.
Containers drydock stops are journaled beside the lock before they are
stopped, and every command starts first whatever an earlier, killed run
(of any drydock) left stopped.`,
	}
	f := cmd.PersistentFlags()
	f.StringVar(&opts.stateDir, "state-dir", "", "drydock's state directory: restore drill records; a stop journal an older drydock left here is moved beside the host lock (default: $STATE_DIRECTORY, else $XDG_STATE_HOME/drydock, else /var/lib/drydock as root, else ~/.local/state/drydock)")
	f.BoolVar(&opts.includeBinds, "include-binds", false, "also back up bind mounts of containers labelled drydock.backup=true")
	f.DurationVar(&opts.maxDowntime, "max-downtime", 0, "longest time an app stays stopped; at the deadline it is started and its backup fails (default 10m; an app's drydock.max-downtime label overrides it)")
	f.DurationVar(&opts.lockWait, "lock-wait", 0, "wait this long for another drydock holding the host lock (e.g. 10m); 0 fails at once")
	cmd.AddCommand(
		newVolumesLsCommand(g, &opts),
		newVolumesBackupCommand(g, &opts),
		newVolumesRestoreCommand(g, &opts),
	)
	return cmd
}

// stateDirectory returns where the stop journal lives: the flag, else the
// daemon's default (config.DefaultStateDir). Every drydock on a host that
// backs up the same containers must use the same one, or a killed run's
// containers are not recovered.
func (o *volumesOptions) stateDirectory(getenv func(string) string) (string, error) {
	if o.stateDir != "" {
		return filepath.Abs(o.stateDir)
	}
	return config.DefaultStateDir(getenv)
}

// volumesEnv is what a volumes command works with: a Docker client, a
// Manager, and (for commands that stop containers) the host lock.
type volumesEnv struct {
	cli      *client.Client
	m        *volume.Manager
	stateDir string
	unlock   func()
}

func (e *volumesEnv) close() {
	if e.unlock != nil {
		e.unlock()
	}
	_ = e.m.Close()
	_ = e.cli.Close()
}

// openVolumes connects to Docker. With exclusive, it takes the host lock
// (one volumes command at a time: Recover must never start the containers
// of a run still in progress) and starts whatever an earlier run left
// stopped; a failure to do so is returned as recovered, to be reported at
// the end, so that other apps are still backed up.
func openVolumes(ctx context.Context, opts *volumesOptions, g *globalOptions, exclusive bool) (env *volumesEnv, recovered error, err error) {
	dir, err := opts.stateDirectory(g.getenv)
	if err != nil {
		return nil, nil, err
	}
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, nil, fmt.Errorf("docker client (check DOCKER_HOST): %w", err)
	}
	env = &volumesEnv{cli: cli, stateDir: dir}
	env.m = volume.NewWithClient(cli, volume.Options{
		StateDir: dir, Logger: g.logger(), IncludeBinds: opts.includeBinds, MaxDowntime: opts.maxDowntime,
	})
	if !exclusive {
		return env, nil, nil
	}
	if err := statedir.Ensure(dir, g.logger()); err != nil {
		env.close()
		return nil, nil, fmt.Errorf("state directory: %w", err)
	}
	if env.unlock, err = env.m.LockHost(ctx, opts.lockWait); err != nil {
		env.close()
		return nil, nil, err
	}
	if swept, err := drill.Sweep(ctx, cli, dir, g.logger()); err != nil {
		fmt.Fprintf(g.stderr, "warning: %v\n", err)
	} else if len(swept) > 0 {
		fmt.Fprintf(g.stderr, "removed what interrupted restore drills %v left behind\n", swept)
	}
	sweepRestores(g, dir)
	started, rerr := env.m.Recover(ctx)
	for _, c := range started {
		fmt.Fprintf(g.stderr, "started container %s, left stopped by an earlier drydock run\n", c.Name)
	}
	if rerr != nil {
		rerr = fmt.Errorf("containers an earlier run stopped are still not running (journal %s): %w",
			env.m.JournalPath(), rerr)
		fmt.Fprintf(g.stderr, "warning: %v\n", rerr)
	}
	return env, rerr, nil
}

// selectedPlan plans the backup of every labelled volume and keeps the apps
// the selectors name (all if none).
func (env *volumesEnv) selectedPlan(ctx context.Context, selectors []string) (*appplan.Plan, error) {
	p, err := env.m.Plan(ctx)
	if err != nil {
		return nil, fmt.Errorf("plan (is the Docker daemon reachable?): %w", err)
	}
	return backup.SelectApps(p, selectors)
}
