package console

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"time"

	"github.com/drydock-backup/drydock/pkg/oplog"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/secret"
)

//go:embed assets
var assets embed.FS

// Options configure a Server.
type Options struct {
	// Repositories are the repositories served, by the name that URLs
	// use; the caller keeps them open and closes them after the Server.
	// Open them with repo.Options.TreeCache set, so browsing is fast.
	Repositories map[string]*repo.Repository
	// Token is what a browser or API client must present.
	Token secret.Value
	// Logger gets logins and server-side errors; nil discards.
	Logger *slog.Logger
	// Due, if set, says by when the next snapshot of what q names is
	// expected (the daemon knows its jobs' schedules); known false, or a
	// nil Due, falls back to a day after the last one.
	Due func(q DueQuery) (due time.Time, known bool)
	// Jobs, if set, are the daemon's jobs: the overview shows them and
	// runs them on request. Nil under drydock ui.
	Jobs Jobs
	// Apps, if set, are the apps on the daemon's host: the overview and
	// /api/v1/apps show them. Nil under drydock ui.
	Apps Apps
	// History, if set, is the history of operations the console shows
	// and streams (/api/v1/events).
	History *oplog.Log
	// Prefetch reads every repository's index and snapshots in the
	// background from the start, so that the first pages after a start
	// are as fast as the later ones. Shutdown stops it.
	Prefetch bool
	// StateDir, if set, is drydock's state directory (journals of the
	// stopped containers and staged volumes): with it and a reachable
	// Docker engine the console restores apps and volumes.
	StateDir string
}

// DueQuery names one row of the hosts view: what a host backs up into a
// repository, and when it last did.
type DueQuery struct {
	Repository, Host string
	App              string   // an app's snapshots
	Paths            []string // the others', sorted
	Last             time.Time
}

// Server is the console's http.Handler.
type Server struct {
	due      func(DueQuery) (time.Time, bool)
	jobs     Jobs
	apps     Apps
	history  *oplog.Log
	token    secret.Value
	log      *slog.Logger
	sources  map[string]*source
	names    []string // sorted
	sessions *sessions
	limit    *limiter
	pages    *templates
	mux      *http.ServeMux
	handler  http.Handler
	bg       *background // restores and lock removals under way
	stateDir string
	// appsCache keeps the apps for the overview; nil without apps.
	appsCache *refreshed[AppsReport]
}

// New builds the console for opts.
func New(opts Options) (*Server, error) {
	if len(opts.Token.Reveal()) < minTokenLen {
		return nil, fmt.Errorf("console token: want at least %d characters", minTokenLen)
	}
	if len(opts.Repositories) == 0 {
		return nil, errors.New("console: no repository to serve")
	}
	s := &Server{due: opts.Due, jobs: opts.Jobs, apps: opts.Apps, history: opts.History, stateDir: opts.StateDir, token: opts.Token, log: opts.Logger, sources: map[string]*source{},
		sessions: newSessions(), limit: newLimiter(failDelay), bg: newBackground()}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	for name, r := range opts.Repositories {
		if name == "" || url.PathEscape(name) != name {
			return nil, fmt.Errorf("console repository name %q: want letters, digits, '-', '_' or '.'", name)
		}
		src := &source{name: name, r: r, log: s.log}
		src.locks = newLocksCache(src, s.bg)
		s.sources[name] = src
		s.names = append(s.names, name)
	}
	sort.Strings(s.names)
	if s.apps != nil {
		s.appsCache = &refreshed[AppsReport]{fresh: appsFresh, maxAge: appsMaxAge, timeout: appsTimeout,
			fetch: s.apps.Apps, background: s.bg.start}
	}
	var err error
	if s.pages, err = parseTemplates(); err != nil {
		return nil, err
	}
	s.routes()
	if opts.Prefetch {
		for _, name := range s.names {
			src := s.sources[name]
			_ = s.bg.start(func(ctx context.Context) { src.prefetch(ctx) })
		}
	}
	return s, nil
}

func (s *Server) routes() {
	static, _ := fs.Sub(assets, "assets/static")
	open := http.NewServeMux()
	open.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	open.HandleFunc("GET /login", s.loginForm)
	open.HandleFunc("POST /login", s.login)
	open.HandleFunc("POST /logout", s.logout)

	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", s.pageOverview)
	m.HandleFunc("GET /hosts", s.pageHosts)
	m.HandleFunc("GET /history", s.pageHistory)
	m.HandleFunc("GET /plots", s.pagePlots)
	m.HandleFunc("GET /operations/{id}", s.pageOperation)
	m.HandleFunc("POST /jobs/{job}/run", s.runJob)
	m.HandleFunc("GET /api/v1/jobs", s.apiJobs)
	m.HandleFunc("GET /api/v1/apps", s.apiApps)
	m.HandleFunc("POST /api/v1/apps/{app}/drill", s.drillApp)
	m.HandleFunc("POST /apps/{app}/drill", s.drillApp)
	m.HandleFunc("POST /api/v1/jobs/{job}/run", s.runJob)
	m.HandleFunc("GET /api/v1/operations", s.apiOperations)
	m.HandleFunc("GET /api/v1/operations/{id}", s.apiOperation)
	m.HandleFunc("GET /api/v1/events", s.events)
	m.HandleFunc("POST /api/v1/repositories/{repo}/restore", s.apiRestore)
	m.HandleFunc("GET /api/v1/repositories/{repo}/locks", s.apiLocks)
	m.HandleFunc("POST /api/v1/repositories/{repo}/unlock", s.apiUnlock)
	m.HandleFunc("POST /repositories/{repo}/unlock", s.formUnlock)
	m.HandleFunc("POST /repositories/{repo}/snapshots/{id}/restore", s.formRestore)
	m.HandleFunc("GET /repositories/{repo}/snapshots/{id}/apprestore", s.pageAppRestore)
	m.HandleFunc("POST /repositories/{repo}/snapshots/{id}/apprestore", s.formAppRestore)
	m.HandleFunc("GET /api/v1/repositories/{repo}/snapshots/{id}/apprestore", s.apiAppRestorePlan)
	m.HandleFunc("POST /api/v1/repositories/{repo}/snapshots/{id}/apprestore", s.apiAppRestore)
	m.HandleFunc("GET /repositories/{repo}/snapshots", s.pageSnapshots)
	m.HandleFunc("GET /repositories/{repo}/diff", s.pageDiff)
	m.HandleFunc("GET /api/v1/repositories/{repo}/diff", s.apiDiff)
	m.HandleFunc("GET /repositories/{repo}/snapshots/{id}/tree/{path...}", s.pageTree)
	m.HandleFunc("GET /api/v1/hosts", s.apiHosts)
	m.HandleFunc("GET /api/v1/repositories", s.apiRepositories)
	m.HandleFunc("GET /api/v1/repositories/{repo}/snapshots", s.apiSnapshots)
	m.HandleFunc("GET /api/v1/repositories/{repo}/snapshots/{id}", s.apiSnapshot)
	m.HandleFunc("GET /api/v1/repositories/{repo}/snapshots/{id}/tree/{path...}", s.apiTree)
	m.HandleFunc("GET /api/v1/repositories/{repo}/snapshots/{id}/download/{path...}", s.download)
	m.HandleFunc("GET /api/", func(w http.ResponseWriter, r *http.Request) {
		writeJSONError(w, http.StatusNotFound, "no such API endpoint: "+r.URL.Path)
	})
	open.Handle("/", s.requireAuth(m))
	s.mux = open
	// Cross-origin protection before everything: a POST another site
	// makes a browser send is refused whatever cookie or token it carries.
	s.handler = securityHeaders(http.NewCrossOriginProtection().Handler(open))
}

// ServeHTTP serves the console.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// securityHeaders sets on every answer what keeps a browser from running
// script that is not ours, framing the console or leaking its URLs (they
// name files) to other sites; nothing is cached, since pages show backed
// up files.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// source looks up the repository a request names.
func (s *Server) source(name string) (*source, error) {
	src, ok := s.sources[name]
	if !ok {
		return nil, notFound("no repository %q here (the console serves %v)", name, s.names)
	}
	return src, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeJSONError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
