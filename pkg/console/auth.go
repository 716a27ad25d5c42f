package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"time"
)

const (
	sessionCookie = "drydock_session"
	// sessionTTL is how long a login lasts; the cookie carries a random
	// session ID known only to this process, so a restart logs out.
	sessionTTL  = 12 * time.Hour
	maxSessions = 1000
	// failDelay is what each wrong token costs, one after another for the
	// whole process, so guesses are serialised to one a second.
	failDelay = time.Second
)

// tokenMatches compares a presented token with the console's in constant
// time (of the presented length).
func (s *Server) tokenMatches(got string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(s.token.Reveal())) == 1
}

// limiter slows wrong tokens down: each failure holds the one slot for
// the delay, so N guesses take N delays however many arrive at once. A
// right token never waits for it.
type limiter struct {
	slot  chan struct{} // a semaphore of one
	delay time.Duration
}

func newLimiter(delay time.Duration) *limiter {
	return &limiter{slot: make(chan struct{}, 1), delay: delay}
}

// fail waits out one failure's delay, or until ctx is done.
func (l *limiter) fail(ctx context.Context) {
	select {
	case l.slot <- struct{}{}:
	case <-ctx.Done():
		return
	}
	defer func() { <-l.slot }()
	t := time.NewTimer(l.delay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// sessions are the logged-in browsers: the SHA-256 of each session ID,
// so that the map holds nothing a cookie could be made from, with its
// expiry.
type sessions struct {
	mu   sync.Mutex
	byID map[[32]byte]time.Time
	now  func() time.Time
}

func newSessions() *sessions {
	return &sessions{byID: map[[32]byte]time.Time{}, now: time.Now}
}

// create starts a session and returns its ID for the cookie.
func (ss *sessions) create() string {
	raw := make([]byte, 32)
	rand.Read(raw)
	id := base64.RawURLEncoding.EncodeToString(raw)
	ss.mu.Lock()
	defer ss.mu.Unlock()
	now := ss.now()
	if len(ss.byID) >= maxSessions {
		ss.dropExpired(now)
	}
	if len(ss.byID) >= maxSessions {
		ss.dropOldest()
	}
	ss.byID[sha256.Sum256([]byte(id))] = now.Add(sessionTTL)
	return id
}

func (ss *sessions) valid(id string) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	k := sha256.Sum256([]byte(id))
	exp, ok := ss.byID[k]
	if ok && !ss.now().Before(exp) {
		delete(ss.byID, k)
		return false
	}
	return ok
}

func (ss *sessions) remove(id string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.byID, sha256.Sum256([]byte(id)))
}

func (ss *sessions) dropExpired(now time.Time) {
	for k, exp := range ss.byID {
		if !now.Before(exp) {
			delete(ss.byID, k)
		}
	}
}

func (ss *sessions) dropOldest() {
	var oldest [32]byte
	var first time.Time
	for k, exp := range ss.byID {
		if first.IsZero() || exp.Before(first) {
			oldest, first = k, exp
		}
	}
	delete(ss.byID, oldest)
}

// authenticated tells whether r carries the token (as a bearer) or a live
// session cookie. A wrong bearer token costs the limiter's delay.
func (s *Server) authenticated(r *http.Request) bool {
	if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if ok && s.tokenMatches(strings.TrimSpace(tok)) {
			return true
		}
		s.limit.fail(r.Context())
		return false
	}
	c, err := r.Cookie(sessionCookie)
	return err == nil && s.sessions.valid(c.Value)
}

// requireAuth answers unauthenticated requests: 401 for the API, a
// redirect to the login form, which comes back here, for pages.
func (s *Server) requireAuth(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.authenticated(r) {
			h.ServeHTTP(w, r)
			return
		}
		if isAPI(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="drydock"`)
			writeJSONError(w, http.StatusUnauthorized, "authentication required: send Authorization: Bearer TOKEN (the console's token file)")
			return
		}
		http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	})
}

func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

// loginForm shows the login page.
func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "login", loginPage{Next: safeNext(r.URL.Query().Get("next"))})
}

// login checks the token from the form and starts a session.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.PostFormValue("next"))
	if !s.tokenMatches(strings.TrimSpace(r.PostFormValue("token"))) {
		s.limit.fail(r.Context())
		s.log.Warn("console login refused: wrong token", "remote", r.RemoteAddr)
		s.render(w, r, http.StatusUnauthorized, "login", loginPage{Next: next, Failed: true})
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: s.sessions.create(), Path: "/",
		MaxAge: int(sessionTTL / time.Second), HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	})
	s.log.Info("console login", "remote", r.RemoteAddr)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logout ends the session and forgets the cookie.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.sessions.remove(c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// safeNext keeps a post-login target on this site: a path, never
// "//host" or "/\host", which browsers take for another site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.HasPrefix(next, "/login") {
		return "/"
	}
	return next
}
