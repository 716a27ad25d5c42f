package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/pkg/oplog"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/secret"
)

// TestDrillApp: POST /api/v1/apps/{app}/drill answers 202 with the
// operation, the overview's form sends the browser to the operation's
// page, and each of Drill's refusals has its status; under drydock ui
// there is nothing to drill. orchestrate's TestDaemonDrillApp drills a
// real app through the same route.
func TestDrillApp(t *testing.T) {
	f := newFixture(t)
	op := oplog.Operation{ID: "op1", Kind: "drill", Status: oplog.Running}
	for _, tc := range []struct {
		name   string
		apps   Apps
		api    int
		form   int
		answer string
	}{
		{"started", fixedApps{drill: op}, http.StatusAccepted, http.StatusSeeOther, `"id":"op1"`},
		{"running", fixedApps{drillErr: fmt.Errorf("%w: a drill of shop runs", ErrRunning)}, http.StatusConflict, http.StatusConflict, "a drill of shop runs"},
		{"no such app", fixedApps{drillErr: fmt.Errorf("%w: no app shop", ErrNothingToDrill)}, http.StatusNotFound, http.StatusNotFound, "no app shop"},
		{"no snapshot", fixedApps{drillErr: fmt.Errorf("no snapshot of shop: %w", repo.ErrSnapshotNotFound)}, http.StatusNotFound, http.StatusNotFound, "no snapshot of shop"},
		{"no docker", fixedApps{drillErr: fmt.Errorf("%w: dial unix", ErrNoDocker)}, http.StatusServiceUnavailable, http.StatusServiceUnavailable, "dial unix"},
		{"other", fixedApps{drillErr: errors.New("boom")}, http.StatusInternalServerError, http.StatusInternalServerError, "boom"},
		{"ui", nil, http.StatusNotFound, http.StatusNotFound, "no apps here"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			con, err := New(Options{Repositories: map[string]*repo.Repository{"default": f.r}, Token: secret.New(testToken), Apps: tc.apps})
			if err != nil {
				t.Fatal(err)
			}
			f.srv = httptest.NewServer(con)
			t.Cleanup(f.srv.Close)
			res := f.do(t, http.MethodPost, "/api/v1/apps/shop/drill", testToken, nil)
			body := readBody(t, res)
			if res.StatusCode != tc.api || !strings.Contains(string(body), tc.answer) {
				t.Errorf("API: %d %s, want %d with %q", res.StatusCode, body, tc.api, tc.answer)
			}
			if tc.api == http.StatusAccepted {
				var got oplog.Operation
				if err := json.Unmarshal(body, &got); err != nil || got.ID != op.ID || res.Header.Get("Location") != "/api/v1/operations/op1" {
					t.Errorf("API answer %+v %v, Location %q", got, err, res.Header.Get("Location"))
				}
			}
			res = f.do(t, http.MethodPost, "/apps/shop/drill", testToken, nil)
			if res.StatusCode != tc.form {
				t.Errorf("form: %d, want %d", res.StatusCode, tc.form)
			}
			if tc.form == http.StatusSeeOther && res.Header.Get("Location") != "/operations/op1" {
				t.Errorf("form: redirected to %q, want the operation's page", res.Header.Get("Location"))
			}
			if res := f.do(t, http.MethodGet, "/apps/shop/drill", testToken, nil); res.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("GET: %d, want 405 (state changes are POST only)", res.StatusCode)
			}
		})
	}
}
