package orchestrate_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/pkg/console"
	"github.com/drydock-backup/drydock/pkg/oplog"
	"github.com/drydock-backup/drydock/pkg/orchestrate"
)

const consoleVolumesJob = `state_dir: STATE
listen: 127.0.0.1:0
repositories:
  local:
    location: repo
    password_file: pw
    init: true
jobs:
  apps:
    repository: local
    schedule: "0 0 1 1 *"
    volumes:
      select: [SHOP]
`

// TestDaemonConsoleApps: the console's overview and /api/v1/apps show
// every app on the host, from the real Docker engine: its volumes with why
// each is backed up, the cache tier skipped, its containers and what a
// backup does to them, the job that backs it up (or an alert that none
// does), and after a backup its downtime.
func TestDaemonConsoleApps(t *testing.T) {
	env := dockertest.New(t)
	shop, other := env.Name("shop"), env.Name("other")
	data := env.Volume("shopdata", nil)
	cache := env.Volume("shopcache", map[string]string{"drydock.tier": "cache"})
	env.Container(dockertest.Spec{Name: "shopdb", Mounts: []string{data + ":/data", cache + ":/cache"},
		Labels: map[string]string{"drydock.backup": "true", "drydock.group": shop}})
	odata := env.Volume("otherdata", map[string]string{"drydock.backup": "true", "drydock.group": other})
	env.Container(dockertest.Spec{Name: "otherapp", Mounts: []string{odata + ":/data"}})

	state := t.TempDir()
	td := startDaemon(t, fill(consoleVolumesJob, "STATE", state, "SHOP", shop), nil)
	apps := func() map[string]console.App {
		var rep console.AppsReport
		if code, b := consoleAPI(t, td, state, "GET", "/api/v1/apps"); code != http.StatusOK || json.Unmarshal(b, &rep) != nil {
			t.Fatalf("GET /api/v1/apps: %d %s", code, b)
		}
		out := map[string]console.App{}
		for _, a := range rep.Apps {
			out[a.Name] = a
		}
		return out
	}
	got := apps()
	a, ok := got[shop]
	if !ok {
		t.Fatalf("app %s not listed: %v", shop, slices.Collect(maps.Keys(got)))
	}
	if !slices.Equal(a.Jobs, []string{"apps"}) {
		t.Errorf("app %s backed up by %v, want [apps]", shop, a.Jobs)
	}
	if len(a.Volumes) != 1 || a.Volumes[0].Name != data || a.Volumes[0].Tier != "data" || !strings.Contains(a.Volumes[0].Reason, "drydock.backup=true on container "+env.Name("shopdb")) {
		t.Errorf("app %s volumes %+v, want %s as data, opted in by its container", shop, a.Volumes, data)
	}
	if len(a.Skipped) != 1 || a.Skipped[0].Name != cache || a.Skipped[0].Tier != "cache" {
		t.Errorf("app %s skipped %+v, want %s as tier cache", shop, a.Skipped, cache)
	}
	if len(a.Containers) != 1 || a.Containers[0].Name != env.Name("shopdb") || a.Containers[0].Action != "stop" || !a.Containers[0].Running {
		t.Errorf("app %s containers %+v, want %s stopped", shop, a.Containers, env.Name("shopdb"))
	}
	if a.LastDowntime != nil || a.LastDrill != nil {
		t.Errorf("before any backup: downtime %+v, drill %+v", a.LastDowntime, a.LastDrill)
	}
	if o, ok := got[other]; !ok || len(o.Jobs) != 0 {
		t.Errorf("app %s: listed %v, jobs %v; want listed, no job", other, ok, o.Jobs)
	}
	code, page := consoleAPI(t, td, state, "GET", "/")
	for _, want := range []string{"Apps on this host", shop, data, cache, "cache, skipped", "App " + other + " is labelled for backup, but no volumes job selects it"} {
		if code != http.StatusOK || !strings.Contains(string(page), want) {
			t.Errorf("overview (%d) lacks %q", code, want)
		}
	}

	code, b := consoleAPI(t, td, state, "POST", "/api/v1/jobs/apps/run")
	var op oplog.Operation
	if code != http.StatusAccepted || json.Unmarshal(b, &op) != nil {
		t.Fatalf("POST run: %d %s", code, b)
	}
	st := td.waitFor("the backup", 2*time.Minute, func(st orchestrate.Status) bool { return job(st, "apps", "backup").Runs == 1 })
	if lr := job(st, "apps", "backup").LastRun; lr == nil || lr.Result != "success" {
		t.Fatalf("the backup: %+v", lr)
	}
	td.waitFor("the history", time.Minute, func(orchestrate.Status) bool {
		o := apps()[shop]
		return o.LastDowntime != nil
	})
	if d := apps()[shop].LastDowntime; d.Job != "apps" || d.Seconds <= 0 || time.Since(d.Time) > time.Minute {
		t.Errorf("last downtime %+v, want the backup's", d)
	}
}
