package console

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestAppRestoreWithoutDocker: where no Docker engine answers (drydock ui
// on a laptop) the plan page and the API say so (503) and nothing runs;
// a request naming neither an app nor a volume is 400; a console without
// a state directory restores no app (404). The real engine's restore is
// TestDaemonConsoleAppRestore in pkg/orchestrate.
func TestAppRestoreWithoutDocker(t *testing.T) {
	f := newFixture(t)
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "no-docker.sock"))
	base := "/repositories/default/snapshots/" + f.beta.String() + "/apprestore"
	for _, tc := range []struct {
		name, method, path string
		stateDir           bool
		status             int
		want               string
	}{
		{"plan page", http.MethodGet, base + "?app=shop", true, http.StatusServiceUnavailable, "no Docker engine is reachable"},
		{"plan API", http.MethodGet, "/api/v1" + base + "?volume=data", true, http.StatusServiceUnavailable, `"error":"no Docker engine is reachable`},
		{"confirm API", http.MethodPost, "/api/v1" + base + "?app=shop", true, http.StatusServiceUnavailable, "no Docker engine is reachable"},
		{"confirm form", http.MethodPost, base + "?app=shop", true, http.StatusServiceUnavailable, "no Docker engine is reachable"},
		{"neither", http.MethodGet, "/api/v1" + base, true, http.StatusBadRequest, "name an app"},
		{"both", http.MethodGet, "/api/v1" + base + "?app=a&volume=b", true, http.StatusBadRequest, "name an app"},
		{"volume recreated", http.MethodGet, "/api/v1" + base + "?volume=b&recreate=on", true, http.StatusBadRequest, "for an app"},
		{"no state directory", http.MethodGet, base + "?app=shop", false, http.StatusNotFound, "no state directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.con.stateDir = ""
			if tc.stateDir {
				f.con.stateDir = t.TempDir()
			}
			res := f.do(t, tc.method, tc.path, testToken, nil)
			body := string(readBody(t, res))
			if res.StatusCode != tc.status || !strings.Contains(body, tc.want) {
				t.Errorf("%s %s: %d, want %d with %q:\n%.500s", tc.method, tc.path, res.StatusCode, tc.status, tc.want, body)
			}
		})
	}
	if ops := f.ops.List(0); len(ops) != 0 {
		t.Errorf("operations started: %+v", ops)
	}
}
