package console

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/pkg/oplog"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/secret"
)

// fixedApps is a fake of the daemon's apps, beside orchestrate's
// TestDaemonConsoleApps on a real Docker engine: it gives the overview
// what Docker and the drills would be hard to make (a failed drill, an
// engine that does not answer).
type fixedApps struct {
	rep      AppsReport
	err      error
	drill    oplog.Operation // what Drill answers
	drillErr error
}

func (f fixedApps) Apps(context.Context) (AppsReport, error) { return f.rep, f.err }

func (f fixedApps) Drill(context.Context, string) (oplog.Operation, error) {
	return f.drill, f.drillErr
}

// TestOverviewApps: the overview shows each app's drill and downtime with
// their age, alerts for a failed drill, an app that cannot be backed up
// and one no job selects, and an engine that cannot be reached as an
// alert, not a failed page; under drydock ui /api/v1/apps is empty.
func TestOverviewApps(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	due := now.Add(-3 * time.Hour)
	report := AppsReport{Apps: []App{
		{Name: "shop", Jobs: []string{"nightly"}, Volumes: []AppVolume{{Name: "shop_db", Tier: "data", Reason: "drydock.backup=true on the volume"}},
			Containers:   []AppContainer{{Name: "shop-db-1", Running: true, Action: "stop", Reason: "mounts shop_db read-write"}},
			Skipped:      []SkippedVolume{{Name: "shop_cache", Tier: "cache", Reason: "drydock.tier=cache (only data is backed up)"}},
			LastDowntime: &Downtime{Seconds: 4.2, Time: now.Add(-2 * time.Hour)},
			LastDrill:    &Drill{Time: now.Add(-26 * time.Hour), Passed: false, Seconds: 31, Error: "app did not become healthy"}},
		{Name: "wiki", Error: "dependency cycle: a -> b -> a"},
		{Name: "blog", LastDrill: &Drill{Time: now.Add(-time.Hour), Passed: true, Seconds: 12}},
		{Name: "forum", Jobs: []string{"nightly"}, DrillDue: &due, DrillStale: true},
	}}
	for _, tc := range []struct {
		name       string
		apps       Apps
		want, lack []string
	}{
		{"apps", fixedApps{rep: report}, []string{"Apps on this host", "shop_db", "shop_cache", "cache, skipped", "Tiers skipped", "shop-db-1", "4.2s",
			"App shop: the restore drill of", "app did not become healthy", "App wiki cannot be backed up: dependency cycle",
			"App blog is labelled for backup, but no volumes job selects it", "passed",
			"App forum: a restore drill was due by " + due.Local().Format("2006-01-02 15:04") + "; no restore drill has run yet",
			`action="/apps/forum/drill"`, `action="/apps/shop/drill"`},
			[]string{"App wiki is labelled", `action="/apps/blog/drill"`, "App shop: a restore drill was due"}},
		{"no docker", fixedApps{err: errors.New("cannot connect to the Docker daemon")}, []string{"The apps on this host cannot be listed: cannot connect to the Docker daemon"}, nil},
		{"ui", nil, nil, []string{"Apps on this host"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			con, err := New(Options{Repositories: map[string]*repo.Repository{"default": f.r}, Token: secret.New(testToken), Apps: tc.apps})
			if err != nil {
				t.Fatal(err)
			}
			f.srv = httptest.NewServer(con)
			t.Cleanup(f.srv.Close)
			res := f.get(t, "/", testToken)
			page := string(readBody(t, res))
			if res.StatusCode != http.StatusOK {
				t.Fatalf("overview: %d", res.StatusCode)
			}
			for _, w := range tc.want {
				if !strings.Contains(page, w) {
					t.Errorf("overview lacks %q", w)
				}
			}
			for _, w := range tc.lack {
				if strings.Contains(page, w) {
					t.Errorf("overview has %q", w)
				}
			}
			if tc.apps != nil {
				return
			}
			res = f.get(t, "/api/v1/apps", testToken)
			var rep AppsReport
			if err := json.Unmarshal(readBody(t, res), &rep); err != nil || res.StatusCode != http.StatusOK || rep.Apps == nil || len(rep.Apps) != 0 {
				t.Errorf("GET /api/v1/apps under ui: %d %+v %v, want an empty list", res.StatusCode, rep, err)
			}
		})
	}
}
