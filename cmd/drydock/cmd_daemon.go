package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	sddaemon "github.com/coreos/go-systemd/v22/daemon"
	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/pkg/orchestrate"
	"github.com/drydock-backup/drydock/pkg/orchestrate/config"
)

// defaultConfigFile is read when no --config or $DRYDOCK_CONFIG is given,
// if it exists; otherwise the embedded default applies.
const defaultConfigFile = "/etc/drydock/drydock.yaml"

// configOptions are the flags of the commands that read the daemon's
// configuration.
type configOptions struct {
	file string
}

func (o *configOptions) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&o.file, "config", "c", "", "configuration file (default: $DRYDOCK_CONFIG, else "+defaultConfigFile+" if it exists, else the embedded default)")
}

// load reads the configuration from the flag, $DRYDOCK_CONFIG, the
// default file, or the embedded default, in that order.
func (o *configOptions) load(g *globalOptions) (*config.Config, error) {
	file := configFile(o.file, g.getenv)
	if file == "" {
		return config.Default(g.getenv)
	}
	return config.Load(file, g.getenv)
}

// configFile is the configuration file to read: flag, else
// $DRYDOCK_CONFIG, else defaultConfigFile if it exists; "" when none.
func configFile(flag string, getenv func(string) string) string {
	if flag != "" {
		return flag
	}
	if env := getenv("DRYDOCK_CONFIG"); env != "" {
		return env
	}
	if _, err := os.Stat(defaultConfigFile); err == nil {
		return defaultConfigFile
	}
	return ""
}

func newDaemonCommand(g *globalOptions) *cobra.Command {
	var opts configOptions
	cmd := &cobra.Command{
		Use:   "daemon",
		Short: "Run the configured backup, retention and verification jobs on their schedules",
		Long: `Run as a service: back up, forget, prune and verify on the schedules of the
configuration, serve /metrics, /healthz and /status on its listen address
(127.0.0.1:9867 by default) and send notifications.

Without a configuration file, the embedded default backs up every Docker
volume labelled drydock.backup=true nightly into a local repository in the
state directory (see "drydock config default").

SIGTERM or SIGINT: running jobs stop, every container they stopped (or were
stopping: drydock waits for Docker to finish that stop) is
started again, locks are released, then drydock exits 0.
SIGHUP: the configuration is read again; if it is invalid, the old one
stays in force. Under systemd (Type=notify), drydock reports READY,
RELOADING, STOPPING and keeps the watchdog fed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDaemon(cmd.Context(), g, &opts)
		},
	}
	opts.addFlags(cmd)
	return cmd
}

func runDaemon(ctx context.Context, g *globalOptions, opts *configOptions) error {
	// SIGHUP reloads; it must never kill us: restic probes the owners of
	// locks on its host with it.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	cfg, err := opts.load(g)
	if err != nil {
		return err
	}
	log := daemonLogger(g.stderr, cfg.LogLevel, g.getenv("JOURNAL_STREAM") != "")
	d, err := orchestrate.New(cfg, orchestrate.Options{
		Program: "drydock " + version, Logger: log, Getenv: g.getenv, SdNotify: sdNotify(log),
	})
	if err != nil {
		return err
	}
	go func() {
		// A SIGHUP during start-up waits (captured) until the daemon is
		// ready, so that it never races the first configuration.
		select {
		case <-ctx.Done():
			return
		case <-d.Ready():
		}
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				reload(ctx, d, g, opts, log)
			}
		}
	}()
	stopWatchdog := watchdog(ctx, d, log)
	defer stopWatchdog()
	return d.Run(ctx, cfg)
}

func reload(ctx context.Context, d *orchestrate.Daemon, g *globalOptions, opts *configOptions, log *slog.Logger) {
	log.Info("SIGHUP: reloading the configuration")
	cfg, err := opts.load(g)
	if err == nil {
		err = d.Reload(ctx, cfg)
	}
	if err != nil {
		log.Error("configuration not reloaded; the old one stays in force", "err", err)
	}
}

// daemonLogger logs as text to w; under journald the time is left out,
// since the journal records it.
func daemonLogger(w io.Writer, level string, journald bool) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	ho := &slog.HandlerOptions{Level: l}
	if journald {
		ho.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}
	}
	return slog.New(slog.NewTextHandler(w, ho))
}

// sdNotify sends states to systemd when it started us with Type=notify.
func sdNotify(log *slog.Logger) func(string) {
	return func(state string) {
		if _, err := sddaemon.SdNotify(false, state); err != nil {
			log.Warn("cannot notify systemd", "state", state, "err", err)
		}
	}
}

// watchdog feeds systemd's watchdog at half its interval while the
// daemon's endpoints answer.
func watchdog(ctx context.Context, d *orchestrate.Daemon, log *slog.Logger) func() {
	interval, err := sddaemon.SdWatchdogEnabled(false)
	if err != nil || interval == 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		<-d.Ready()
		t := time.NewTicker(interval / 2)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				d.Status() // takes the daemon's lock: a deadlock stops the pings
				if _, err := sddaemon.SdNotify(false, sddaemon.SdNotifyWatchdog); err != nil {
					log.Warn("cannot feed the systemd watchdog", "err", err)
				}
			}
		}
	}()
	return cancel
}

func newConfigCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Check or print the daemon's configuration"}
	var opts configOptions
	var offline bool
	check := &cobra.Command{
		Use:   "check",
		Short: "Validate the configuration and open its repositories, without running anything",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := opts.load(g)
			if err != nil {
				return err
			}
			if !offline {
				if err := orchestrate.Preflight(cmd.Context(), cfg, g.getenv, g.logger(), false); err != nil {
					return err
				}
			}
			if !g.quiet {
				printConfigSummary(g.stdout, cfg)
			}
			return nil
		},
	}
	opts.addFlags(check)
	check.Flags().BoolVar(&offline, "offline", false, "do not open the repositories")
	def := &cobra.Command{
		Use:   "default",
		Short: "Print the embedded default configuration",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := g.stdout.Write(config.DefaultYAML())
			return err
		},
	}
	cmd.AddCommand(check, def)
	return cmd
}

func printConfigSummary(w io.Writer, cfg *config.Config) {
	name := cfg.File
	if name == "" {
		name = "embedded default configuration"
	}
	fmt.Fprintf(w, "%s is valid: %d repositories, %d jobs, %d notification targets\n", name, len(cfg.Repositories), len(cfg.Jobs), len(cfg.Notify))
	for _, n := range slices.Sorted(maps.Keys(cfg.Jobs)) {
		j := cfg.Jobs[n]
		what := fmt.Sprintf("paths %v", j.Paths)
		if j.Volumes != nil {
			what = "volumes"
			if len(j.Volumes.Select) > 0 {
				what += fmt.Sprintf(" %v", j.Volumes.Select)
			}
		}
		fmt.Fprintf(w, "  job %s: %s into %s, schedule %q\n", n, what, j.Repository, j.Schedule)
	}
}
