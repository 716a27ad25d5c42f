package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestAuthRequired: every page and API call needs the token; the API
// answers 401, pages send the browser to the login form and back.
func TestAuthRequired(t *testing.T) {
	f := newFixture(t)
	for _, p := range []string{
		"/", "/repositories/default/snapshots", "/repositories/default/snapshots/latest/tree/",
		"/api/v1/repositories", "/api/v1/repositories/default/snapshots",
		"/api/v1/repositories/default/snapshots/latest/tree/", "/api/v1/repositories/default/snapshots/latest/download/",
		"/api/v1/nothing", "/nothing",
	} {
		for _, auth := range []string{"", "wrong-token", testToken + "x"} {
			res := f.get(t, p, auth)
			if strings.HasPrefix(p, "/api/") {
				if res.StatusCode != http.StatusUnauthorized || res.Header.Get("Content-Type") != "application/json" {
					t.Errorf("GET %s with token %q: %s (%s), want 401 JSON", p, auth, res.Status, res.Header.Get("Content-Type"))
				}
				continue
			}
			loc := res.Header.Get("Location")
			if res.StatusCode != http.StatusSeeOther || loc != "/login?next="+url.QueryEscape(p) {
				t.Errorf("GET %s with token %q: %s to %q, want 303 to the login form", p, auth, res.Status, loc)
			}
		}
	}
}

func TestBearerWorks(t *testing.T) {
	f := newFixture(t)
	res := f.get(t, "/api/v1/repositories", testToken)
	if body := readBody(t, res); res.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != `[{"name":"default"}]` {
		t.Fatalf("GET /api/v1/repositories: %s %s", res.Status, body)
	}
	if res := f.get(t, "/repositories/default/snapshots", testToken); res.StatusCode != http.StatusOK {
		t.Fatalf("page with the bearer token: %s", res.Status)
	}
}

// TestCookieLogin: the form's token starts a session whose cookie is
// HttpOnly, SameSite=Strict and not the token; logout ends it.
func TestCookieLogin(t *testing.T) {
	f := newFixture(t)
	res := f.do(t, http.MethodPost, "/login", "", strings.NewReader(url.Values{"token": {"nope-" + testToken}}.Encode()), formHeader)
	if res.StatusCode != http.StatusUnauthorized || len(res.Cookies()) != 0 {
		t.Fatalf("wrong token: %s, cookies %v; want 401 without a cookie", res.Status, res.Cookies())
	}
	form := url.Values{"token": {testToken}, "next": {"/repositories/default/snapshots?host=alpha"}}
	res = f.do(t, http.MethodPost, "/login", "", strings.NewReader(form.Encode()), formHeader)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/repositories/default/snapshots?host=alpha" {
		t.Fatalf("login: %s to %q", res.Status, res.Header.Get("Location"))
	}
	var c *http.Cookie
	for _, k := range res.Cookies() {
		if k.Name == sessionCookie {
			c = k
		}
	}
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Value == "" || strings.Contains(c.Value, testToken) {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict, Path=/, a value that is not the token", c)
	}
	withCookie := func(r *http.Request) { r.AddCookie(c) }
	for _, p := range []string{"/repositories/default/snapshots", "/api/v1/repositories/default/snapshots"} {
		if res := f.do(t, http.MethodGet, p, "", nil, withCookie); res.StatusCode != http.StatusOK {
			t.Errorf("GET %s with the session cookie: %s", p, res.Status)
		}
	}
	if res := f.do(t, http.MethodPost, "/logout", "", nil, withCookie); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %s", res.Status)
	}
	if res := f.do(t, http.MethodGet, "/api/v1/repositories", "", nil, withCookie); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("after logout the cookie still works: %s", res.Status)
	}
}

func formHeader(r *http.Request) { r.Header.Set("Content-Type", "application/x-www-form-urlencoded") }

// TestForeignOriginRefused: a POST another site makes is refused, with the
// right token or a session.
func TestForeignOriginRefused(t *testing.T) {
	f := newFixture(t)
	evil := func(r *http.Request) { formHeader(r); r.Header.Set("Origin", "https://evil.example") }
	crossSite := func(r *http.Request) { formHeader(r); r.Header.Set("Sec-Fetch-Site", "cross-site") }
	for _, p := range []string{"/login", "/logout", "/api/v1/repositories"} {
		for name, h := range map[string]func(*http.Request){"Origin": evil, "Sec-Fetch-Site": crossSite} {
			body := strings.NewReader(url.Values{"token": {testToken}}.Encode())
			if res := f.do(t, http.MethodPost, p, testToken, body, h); res.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s with a foreign %s: %s, want 403", p, name, res.Status)
			}
		}
	}
	same := func(r *http.Request) { formHeader(r); r.Header.Set("Origin", f.srv.URL) }
	res := f.do(t, http.MethodPost, "/login", "", strings.NewReader(url.Values{"token": {testToken}}.Encode()), same)
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("POST /login from the console's own origin: %s, want 303", res.Status)
	}
}

// TestGetOnlyRoutes: reading routes do not take POST.
func TestGetOnlyRoutes(t *testing.T) {
	f := newFixture(t)
	for _, p := range []string{
		"/repositories/default/snapshots", "/repositories/default/snapshots/latest/tree/",
		"/api/v1/repositories", "/api/v1/repositories/default/snapshots",
		"/api/v1/repositories/default/snapshots/latest/tree/", "/api/v1/repositories/default/snapshots/latest/download/",
	} {
		for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
			if res := f.do(t, m, p, testToken, nil); res.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("%s %s: %s, want 405", m, p, res.Status)
			}
		}
	}
}

// TestSecurityHeaders: every answer, refused, failed or not, forbids
// inline script and framing.
func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct{ method, path, auth string }{
		{"GET", "/login", ""}, {"GET", "/static/style.css", ""}, {"GET", "/", ""},
		{"GET", "/api/v1/repositories", ""}, {"GET", "/api/v1/repositories", testToken},
		{"GET", "/repositories/default/snapshots", testToken}, {"GET", "/repositories/nope/snapshots", testToken},
		{"GET", "/api/v1/repositories/default/snapshots/latest/download/", testToken},
		{"POST", "/api/v1/repositories", testToken},
	} {
		res := f.do(t, c.method, c.path, c.auth, nil)
		readBody(t, res)
		csp := res.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s %s: Content-Security-Policy %q", c.method, c.path, csp)
		}
		for h, want := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"} {
			if got := res.Header.Get(h); got != want {
				t.Errorf("%s %s: %s %q, want %q", c.method, c.path, h, got, want)
			}
		}
	}
}

// TestNoSecretOnPages: the token appears in no page or answer.
func TestNoSecretOnPages(t *testing.T) {
	f := newFixture(t)
	for _, p := range []string{"/login", "/repositories/default/snapshots", "/api/v1/repositories", "/api/v1/repositories/default/snapshots"} {
		if body := readBody(t, f.get(t, p, testToken)); strings.Contains(string(body), testToken) {
			t.Errorf("%s shows the token", p)
		}
	}
}

// TestSafeNext: the login form only sends the browser back to this site.
func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/repositories/default/snapshots?x=1": "/repositories/default/snapshots?x=1",
		"//evil.example/":                     "/", "/\\evil.example": "/", "https://evil.example": "/",
		"": "/", "/login?next=/": "/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestLimiterSerialisesFailures: N wrong tokens at once take N delays; a
// right one does not wait behind them.
func TestLimiterSerialisesFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(time.Second)
		start := time.Now()
		var wg sync.WaitGroup
		for range 5 {
			wg.Go(func() { l.fail(context.Background()) })
		}
		wg.Wait()
		if took := time.Since(start); took != 5*time.Second {
			t.Errorf("5 failures took %v, want 5s", took)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		s := &Server{limit: newLimiter(time.Second), sessions: newSessions()}
		s.token = tokenValue(testToken)
		go s.limit.fail(context.Background())
		synctest.Wait()
		start := time.Now()
		r, _ := http.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+testToken)
		if !s.authenticated(r) || time.Since(start) != 0 {
			t.Errorf("the right token waited %v behind a failure", time.Since(start))
		}
		r.Header.Set("Authorization", "Bearer wrong")
		if s.authenticated(r) || time.Since(start) != 2*time.Second {
			t.Errorf("a wrong token after one failure answered after %v, want 2s", time.Since(start))
		}
	})
}

func TestSessionExpiry(t *testing.T) {
	now := time.Unix(1e9, 0)
	ss := newSessions()
	ss.now = func() time.Time { return now }
	id := ss.create()
	if !ss.valid(id) || ss.valid(id+"x") {
		t.Fatal("a new session is not valid, or a wrong one is")
	}
	now = now.Add(sessionTTL)
	if ss.valid(id) {
		t.Error("a session is valid after its TTL")
	}
	for range maxSessions + 5 {
		ss.create()
	}
	if len(ss.byID) > maxSessions {
		t.Errorf("%d sessions kept, want at most %d", len(ss.byID), maxSessions)
	}
}
