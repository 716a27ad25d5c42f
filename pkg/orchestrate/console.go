package orchestrate

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"time"

	"github.com/drydock-backup/drydock/pkg/console"
	"github.com/drydock-backup/drydock/pkg/orchestrate/config"
	"github.com/drydock-backup/drydock/pkg/repo"
)

// webConsole is the console the daemon serves at / of its listener, on
// repository handles of its own: the pool's handles refresh their index
// only between a job's steps, the console on every request.
type webConsole struct {
	handler *console.Server
	listen  console.Listen
	repos   []*repo.Repository
}

// consoleStopWait bounds how long a stopping daemon waits for the
// console's cancelled operations to record how they ended.
const consoleStopWait = 30 * time.Second

// consoleListen is how cfg's listener is served with the console on.
func consoleListen(cfg *config.Config) console.Listen {
	c := cfg.Console
	return console.Listen{Addr: cfg.Listen, CertFile: c.TLSCertFile, KeyFile: c.TLSKeyFile, PlainHTTP: c.PlainHTTP}
}

// openConsole builds the console for cfg's repositories, or returns nil
// when it is off. A listener other hosts can reach without TLS (or
// console.plain_http) is refused: it would carry the token and every
// backed-up file in the clear.
func (d *Daemon) openConsole(ctx context.Context, cfg *config.Config) (*webConsole, error) {
	if !cfg.Console.On() || cfg.Listen == "off" {
		return nil, nil
	}
	l := consoleListen(cfg)
	if err := console.CheckListen(l); err != nil {
		return nil, fmt.Errorf("%w (console.tls_cert_file and console.tls_key_file, console.plain_http: true, or console.enabled: false to serve only /metrics, /healthz and /status)", err)
	}
	tok, created, err := console.LoadOrCreateToken(cfg.Console.TokenFile)
	if err != nil {
		return nil, fmt.Errorf("console token: %w", err)
	}
	wc := &webConsole{listen: l}
	repos := map[string]*repo.Repository{}
	for _, name := range slices.Sorted(maps.Keys(cfg.Repositories)) {
		r, err := openRepo(ctx, name, cfg.Repositories[name], cacheDir(cfg), d.opts.Getenv, d.log, false, d.owner, d.leftLocksOf(name))
		if err != nil && copyOnly(cfg, name) {
			// As in preflight: a copy destination that is down must not
			// stop the daemon; the console shows it after a restart.
			d.log.Warn("the console leaves out a copy destination that cannot be opened", "repository", name, "err", err)
			continue
		}
		if err != nil {
			wc.close(d.log)
			return nil, fmt.Errorf("console: %w", err)
		}
		repos[name] = r
		wc.repos = append(wc.repos, r)
	}
	if wc.handler, err = console.New(console.Options{Repositories: repos, Token: tok, Logger: d.log, Due: d.consoleDue, Prefetch: true,
		Jobs: consoleJobs{d}, Apps: consoleApps{d}, History: d.history, StateDir: cfg.StateDir}); err != nil {
		wc.close(d.log)
		return nil, err
	}
	verb := "read"
	if created {
		verb = "created"
	}
	d.log.Info("web console at / of the listener; log in with the token in its file", "token_file", cfg.Console.TokenFile, "token", verb, "tls", l.TLS())
	return wc, nil
}

// stop cancels the operations the console started (restores) and waits
// until each is recorded as interrupted, so that the history keeps no
// running operation once the daemon stopped. Nil-safe.
func (wc *webConsole) stop(log *slog.Logger) {
	if wc == nil || wc.handler == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), consoleStopWait)
	defer cancel()
	if err := wc.handler.Shutdown(ctx); err != nil {
		log.Error("the console's operations did not end in time; the history records them as failed at the next start", "err", err)
	}
}

func (wc *webConsole) close(log *slog.Logger) {
	wc.stop(log)
	for _, r := range wc.repos {
		_ = r.Backend().Close()
	}
}

// mux serves the daemon's endpoints as they are, open to all, and the
// console at every other path.
func (wc *webConsole) mux(endpoints http.Handler) http.Handler {
	m := http.NewServeMux()
	for _, p := range []string{"/metrics", "/healthz", "/status"} {
		m.Handle(p, endpoints)
	}
	m.Handle("/", wc.handler)
	return m
}

// tlsListener wraps ln in TLS when the console's listener has a
// certificate.
func (wc *webConsole) tlsListener(ln net.Listener) (net.Listener, error) {
	if !wc.listen.TLS() {
		return ln, nil
	}
	cert, err := tls.LoadX509KeyPair(wc.listen.CertFile, wc.listen.KeyFile)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("console TLS certificate: %w", err), ln.Close())
	}
	return tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}), nil
}

// consoleChanged says whether a reload from old to cfg changes what the
// console, opened at start, would serve.
func consoleChanged(old, cfg *config.Config) bool {
	if consoleListen(old) != consoleListen(cfg) || old.Console.On() != cfg.Console.On() || old.Console.TokenFile != cfg.Console.TokenFile {
		return true
	}
	return !maps.EqualFunc(old.Repositories, cfg.Repositories, func(a, b *config.Repository) bool {
		return fingerprint(a) == fingerprint(b)
	})
}

// consoleDue tells the console's hosts view by when this host's backup
// jobs expect their next snapshot, by the rule /healthz applies: a paths
// job for the same paths, or for an app any volumes job of the
// repository (the latest of their deadlines, so that no job's slower
// schedule reads as overdue). Other hosts' snapshots are not known here.
func (d *Daemon) consoleDue(q console.DueQuery) (time.Time, bool) {
	cfg := d.config()
	if cfg == nil || q.Host != hostName(cfg) {
		return time.Time{}, false
	}
	var due time.Time
	for name, j := range cfg.Jobs {
		if j == nil || j.Repository != q.Repository || j.Schedule == "" || !backsUp(j, q) {
			continue
		}
		if t, err := dueAfter(j.Schedule, q.Last, d.jitterOf(name)); err == nil && t.After(due) {
			due = t
		}
	}
	return due, !due.IsZero()
}

// backsUp says whether job j writes the snapshots q names.
func backsUp(j *config.Job, q console.DueQuery) bool {
	if q.App != "" {
		return j.Volumes != nil
	}
	if len(j.Paths) == 0 {
		return false
	}
	paths := make([]string, len(j.Paths))
	for i, p := range j.Paths {
		paths[i] = filepath.Clean(p)
	}
	slices.Sort(paths)
	return slices.Equal(paths, q.Paths)
}

// jitterOf is the jitter of job's backup task (0 if it has none).
func (d *Daemon) jitterOf(job string) time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	if t := d.tasks[taskKey{job: job, kind: KindBackup}]; t != nil {
		return t.jitter
	}
	return 0
}
