package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/internal/statedir"
	"github.com/drydock-backup/drydock/pkg/console"
	"github.com/drydock-backup/drydock/pkg/oplog"
	"github.com/drydock-backup/drydock/pkg/orchestrate/config"
	"github.com/drydock-backup/drydock/pkg/repo"
)

// uiListenDefault is one port above the daemon's listener
// (127.0.0.1:9867), so that both can run on one host.
const uiListenDefault = "127.0.0.1:9868"

type uiOptions struct {
	listen    console.Listen
	tokenFile string
	stateDir  string
}

func newUICommand(g *globalOptions) *cobra.Command {
	var opts uiOptions
	cmd := &cobra.Command{
		Use:   "ui",
		Short: "Serve the web console for the repository: browse snapshots, download files and folders",
		Long: `ui serves drydock's web console for the repository given by -r /
RESTIC_REPOSITORY (or drydock's default repository) until it is stopped
(SIGINT, SIGTERM). It runs no jobs: it is for browsing snapshots and
downloading files and folders, from this host or a laptop. Where a Docker
engine answers (DOCKER_HOST), a snapshot's apps and volumes can be restored
from it too: the plan first, then Confirm, under the host lock drydock
volumes takes.

Every page and API call needs the console's token, read from --token-file
(default ui-token in drydock's state directory, made with 256 random bits
at the first start; its path is printed, never the token). A --listen
address other than loopback needs --tls-cert and --tls-key, or
--plain-http for a TLS-terminating proxy in front.

The repository is not locked while the console is idle; each request reads
under a shared lock, as drydock ls and dump do.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runUI(cmd.Context(), g, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.listen.Addr, "listen", uiListenDefault, "`address` to serve the console on (host:port)")
	f.StringVar(&opts.listen.CertFile, "tls-cert", "", "serve HTTPS with this certificate `file` (PEM; with --tls-key)")
	f.StringVar(&opts.listen.KeyFile, "tls-key", "", "the TLS certificate's private key `file` (PEM)")
	f.BoolVar(&opts.listen.PlainHTTP, "plain-http", false, "serve plain HTTP on a non-loopback address (a TLS-terminating proxy is in front)")
	f.StringVar(&opts.tokenFile, "token-file", "", "`file` holding the console's token (default: ui-token in the state directory, created if missing)")
	f.StringVar(&opts.stateDir, "state-dir", "", "drydock's state directory, where the default token file is (default: as drydock volumes --state-dir)")
	return cmd
}

func runUI(ctx context.Context, g *globalOptions, opts uiOptions) error {
	// Refuse a bad listener before the password is asked for.
	if err := console.CheckListen(opts.listen); err != nil {
		return err
	}
	tokenFile, err := opts.tokenPath(g)
	if err != nil {
		return err
	}
	tok, created, err := console.LoadOrCreateToken(tokenFile)
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintf(g.stderr, "created a new console token in %s\n", tokenFile)
	}
	dir, err := opts.stateDirectory(g)
	if err != nil {
		return err
	}
	// The restores asked for in this console, kept across its restarts.
	history, err := oplog.Open(filepath.Join(dir, "ui-history.jsonl"), 1000)
	if err != nil {
		return err
	}
	g.treeCache = repo.DefaultTreeCache
	return g.withRepository(ctx, func(ctx context.Context, r *repo.Repository) error {
		h, err := console.New(console.Options{Repositories: map[string]*repo.Repository{"default": r}, Token: tok, Logger: g.logger(), History: history, StateDir: dir, Prefetch: true})
		if err != nil {
			return err
		}
		scheme := "http"
		if opts.listen.TLS() {
			scheme = "https"
		}
		err = console.Serve(ctx, opts.listen, h, func(a net.Addr) {
			fmt.Fprintf(g.stderr, "console at %s://%s/ (log in with the token in %s)\n", scheme, a, tokenFile)
		})
		// Restores under way are cancelled and recorded as interrupted
		// while the repository is still open.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		return errors.Join(err, h.Shutdown(sctx))
	})
}

// tokenPath is --token-file, or ui-token in the state directory, which is
// made (owner-only) if missing.
func (o uiOptions) tokenPath(g *globalOptions) (string, error) {
	if o.tokenFile != "" {
		return filepath.Abs(o.tokenFile)
	}
	dir, err := o.stateDirectory(g)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "ui-token"), nil
}

// stateDirectory is --state-dir or the default, made (owner-only) if
// missing.
func (o uiOptions) stateDirectory(g *globalOptions) (string, error) {
	dir := o.stateDir
	if dir == "" {
		d, err := config.DefaultStateDir(g.getenv)
		if err != nil {
			return "", err
		}
		dir = d
	}
	if err := statedir.Ensure(dir, g.logger()); err != nil {
		return "", err
	}
	return dir, nil
}
