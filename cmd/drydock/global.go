package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/pkg/backend"
	loc "github.com/drydock-backup/drydock/pkg/location"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/compress"
	"github.com/drydock-backup/drydock/pkg/secret"
)

// globalOptions are the flags every repository command takes. They mirror
// restic's, and so do the environment variables.
type globalOptions struct {
	// repoAccess is the repository's -r, --password-file and
	// --password-command (see repo_access.go).
	repoAccess
	// environ lists the environment, for warnings about variables
	// drydock does not read; nil in tests that give only getenv.
	environ     func() []string
	compression compress.Mode
	json        bool
	quiet       bool
	retryMax    time.Duration
	retryLock   time.Duration
	noLock      bool     // --no-lock: commands that only read take no lock
	options     []string // -o key=value
	caCerts     []string
	clientCert  string
	insecureTLS bool // --insecure-tls

	stdin io.Reader
	// stdinIsData: backup --stdin reads the data there, so the password
	// may not be read from it.
	stdinIsData    bool
	stdout, stderr io.Writer
	getenv         func(string) string
	// defaultRepo, if set, is used when no repository is configured; the
	// backup command sets it to drydock's embedded default.
	defaultRepo func(context.Context) (repoPath, passwordFile string, err error)
	// repoConfig takes the repository from the daemon's configuration.
	repoConfig repoConfigOptions
	locks      lockOwnerState // see lockowner.go
	verbose    int            // -v: info, -vv: debug
	// treeCache bounds the repository's cache of decoded trees; 0 keeps
	// none (one-shot commands), the console keeps one.
	treeCache int64
	// cacheDir and noCache are restic's --cache-dir and --no-cache: the
	// local cache of remote repositories (cache.go).
	cacheDir string
	noCache  bool
	transfer transferOptions // --limit-upload, --limit-download, --pack-size
}

func (g *globalOptions) addFlags(cmd *cobra.Command) {
	f := cmd.PersistentFlags()
	f.VarP(urlFlag{&g.repo}, "repo", "r", "repository: a local path, s3:URL, sftp:[USER@]HOST:PATH or rest:URL (default: $RESTIC_REPOSITORY)")
	f.StringVar(&g.passwordFile, "password-file", "", "file holding the repository password (default: $RESTIC_PASSWORD_FILE)")
	f.StringVar(&g.passwordCmd, "password-command", "", "shell `command` that prints the repository password (default: $RESTIC_PASSWORD_COMMAND)")
	f.Var(&g.compression, "compression", "compression of new data: auto, off, fastest or max")
	f.BoolVar(&g.json, "json", false, "machine-readable JSON output")
	f.BoolVarP(&g.quiet, "quiet", "q", false, "print only errors")
	f.DurationVar(&g.retryMax, "retry-max", 2*time.Minute, "how long to retry a failing repository operation before giving up")
	f.BoolVar(&g.noLock, "no-lock", false, "read without locking the repository (ls, cat, snapshots, restore, check and the other commands that only read; forget and prune with --dry-run), as restic's --no-lock")
	f.DurationVar(&g.retryLock, "retry-lock", 0, "wait this long for another process's conflicting lock to go away (e.g. 10m), as restic's --retry-lock")
	f.StringArrayVarP(&g.options, "option", "o", nil, "backend option `key=value`: sftp.command, sftp.args, sftp.connections, rest.connections (repeatable)")
	f.StringArrayVar(&g.caCerts, "cacert", nil, "`file` of root certificates to trust for an s3: or rest: repository over https (repeatable; default: $RESTIC_CACERT)")
	f.StringVar(&g.clientCert, "tls-client-cert", "", "`file` with a TLS client certificate and its key, for an s3: or rest: repository (default: $RESTIC_TLS_CLIENT_CERT)")
	f.BoolVar(&g.insecureTLS, "insecure-tls", false, "skip verifying the TLS certificate of an s3: or rest: repository (insecure)")
	g.repoConfig.addFlags(cmd)
	g.addCacheFlags(f)
	g.transfer.addFlags(f)
}

func (g *globalOptions) logger() *slog.Logger {
	level := slog.LevelWarn
	switch {
	case g.quiet:
		level = slog.LevelError
	case g.verbose >= 2:
		level = slog.LevelDebug
	case g.verbose == 1:
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: level}))
}

// openBackend connects to the repository's storage; create makes the
// directory or bucket if needed (for init).
func (g *globalOptions) openBackend(ctx context.Context, location secret.URL, create bool) (backend.Backend, error) {
	lopts, err := g.locationOptions(location, create)
	if err != nil {
		return nil, err
	}
	return loc.Open(ctx, location, lopts)
}

// locationOptions are the flags and environment that say how to reach
// the repository's storage.
func (g *globalOptions) locationOptions(location secret.URL, create bool) (loc.Options, error) {
	if location.IsZero() {
		return loc.Options{}, fmt.Errorf("%w: no repository given: use -r/--repo, RESTIC_REPOSITORY, or --config/--repo-name for a repository of the daemon's configuration", repo.ErrNoRepository)
	}
	ext, err := parseOptions(g.options)
	if err != nil {
		return loc.Options{}, err
	}
	return loc.Options{Create: create, Getenv: g.getenv, RetryMax: g.retryMax, Logger: g.logger(),
		Extended: ext, CACerts: g.caCerts, ClientCert: g.clientCert, InsecureTLS: g.insecureTLS, CacheDir: g.cacheBase(),
		LimitUpload: g.transfer.uploadRate(), LimitDownload: g.transfer.downloadRate()}, nil
}

// parseOptions turns -o key=value flags into a map.
func parseOptions(opts []string) (map[string]string, error) {
	ext := map[string]string{}
	for _, o := range opts {
		k, v, ok := strings.Cut(o, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("option -o %q: want key=value", o)
		}
		ext[k] = v
	}
	return ext, nil
}

func (g *globalOptions) repoOptions() repo.Options {
	packSize, _ := g.transfer.packSize(g.getenv) // checked before the command runs
	return repo.Options{Compression: g.compression, Logger: g.logger(), LockRetry: g.retryLock, LockOwner: g.lockOwner(), TreeCache: g.treeCache,
		PackSize: packSize}
}

// openRepository opens the configured repository. With g.defaultRepo set
// and nothing configured, the embedded default is used (and created).
func (g *globalOptions) openRepository(ctx context.Context) (*repo.Repository, error) {
	if err := g.useConfiguredRepo(); err != nil {
		return nil, err
	}
	location := g.repoLocation()
	if location.IsZero() && g.passwordFile == "" && g.getenv("RESTIC_PASSWORD_FILE") == "" && g.getenv("RESTIC_PASSWORD") == "" && g.passwordCommand(&g.repoAccess) == "" {
		// Nothing configured: the default repository, created by backup
		// and used by every other command once it exists.
		find := g.defaultRepo
		if find == nil {
			find = existingDefault(g)
		}
		path, pwFile, err := find(ctx)
		if err != nil {
			return nil, err
		}
		g.warnStrayResticVars(path)
		location, g.passwordFile = secret.NewURL(path), pwFile
	}
	return g.openLocation(ctx, &g.repoAccess, location)
}

// openLocation opens the repository at location with the password a
// chooses: the one path by which every repository is opened, copy's
// source as well.
func (g *globalOptions) openLocation(ctx context.Context, a *repoAccess, location secret.URL) (*repo.Repository, error) {
	lopts, err := g.locationOptions(location, false)
	if err != nil {
		return nil, err
	}
	pw, err := g.passwordOf(ctx, a)
	if err != nil {
		return nil, err
	}
	r, err := loc.OpenRepository(ctx, location, pw, lopts, g.repoOptions())
	if err != nil && a.names != nil {
		return nil, fmt.Errorf("%s %s: %w", a.names.what, location, err)
	}
	return r, err
}

// withLock opens the repository, locks it and runs fn under the lock's
// context; the lock is released on every path.
func (g *globalOptions) withLock(ctx context.Context, exclusive bool, fn func(ctx context.Context, r *repo.Repository) error) error {
	return g.withLockMode(ctx, repo.LockMode{Exclusive: exclusive}, fn)
}

// deleting is the lock of a command that deletes files other than locks
// when deletes is true (tag, rewrite --forget): exclusive, and refused up
// front by storage that cannot delete. Otherwise a shared lock.
func deleting(deletes bool) repo.LockMode {
	return repo.LockMode{Exclusive: deletes, Deletes: deletes}
}

// withLockMode opens the repository, runs fn under a lock of mode and
// closes it.
func (g *globalOptions) withLockMode(ctx context.Context, mode repo.LockMode, fn func(ctx context.Context, r *repo.Repository) error) error {
	return g.withRepository(ctx, func(ctx context.Context, r *repo.Repository) error {
		return r.WithLock(ctx, mode, func(ctx context.Context, _ *repo.Lock) error {
			return fn(ctx, r)
		})
	})
}

// withRepository opens the repository, runs fn and closes it.
func (g *globalOptions) withRepository(ctx context.Context, fn func(ctx context.Context, r *repo.Repository) error) error {
	r, err := g.openRepository(ctx)
	if err != nil {
		return err
	}
	defer r.Backend().Close()
	return fn(ctx, r)
}
