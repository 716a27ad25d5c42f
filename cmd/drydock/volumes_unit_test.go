package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/backup"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

func TestSelectApps(t *testing.T) {
	p := &appplan.Plan{
		Apps: []*appplan.App{
			{Name: "shop", Groups: []string{"shop"}, Volumes: []appplan.Volume{{Name: "db"}, {Name: "uploads"}}},
			{Name: "wiki", Volumes: []appplan.Volume{{Name: "wiki"}}},
			{Name: "a+b", Groups: []string{"a", "b"}, Volumes: []appplan.Volume{{Name: "va"}}},
		},
		Skipped: []appplan.Skip{{Name: "cache", Reason: "drydock.tier=cache (only data is backed up)"}},
	}
	for _, tc := range []struct {
		name      string
		selectors []string
		want      []string
		err       string
	}{
		{"none selects all", nil, []string{"shop", "wiki", "a+b"}, ""},
		{"by volume selects its app", []string{"uploads"}, []string{"shop"}, ""},
		{"by group", []string{"b"}, []string{"a+b"}, ""},
		{"by app, once, sorted", []string{"wiki", "shop", "db"}, []string{"shop", "wiki"}, ""},
		{"skipped volume says why", []string{"cache"}, nil, "drydock.tier=cache"},
		{"unknown", []string{"nope", "wiki"}, nil, `"nope": no such app`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := backup.SelectApps(p, tc.selectors)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, backup.ErrUnknownSelector) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range q.Apps {
				got = append(got, a.Name)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("selected %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSnapshotPathOf(t *testing.T) {
	mk := func(tags []string, paths ...string) repo.Snapshot {
		return repo.Snapshot{Snapshot: &format.Snapshot{Paths: paths, Tags: tags}}
	}
	mp := "/var/lib/docker/volumes/db/_data"
	for _, tc := range []struct {
		name string
		sn   repo.Snapshot
		want string
	}{
		{"current mountpoint", mk(nil, "/var/lib/docker/volumes/up/_data", mp), mp},
		{"docker root moved", mk(nil, "/srv/docker/volumes/db/_data", "/srv/docker/volumes/up/_data"), "/srv/docker/volumes/db/_data"},
		{"lone path tagged", mk([]string{"volume=db"}, "/old/place"), "/old/place"},
		{"lone path of another volume", mk([]string{"volume=up"}, "/old/place"), ""},
		{"not there", mk(nil, "/var/lib/docker/volumes/up/_data"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := snapshotPathOf(tc.sn, "db", mp)
			if tc.want == "" {
				if err == nil || !strings.Contains(err.Error(), "holds no copy of volume db") {
					t.Fatalf("got %q, %v; want an error", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestStateDirectory(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	o := &volumesOptions{}
	if got, _ := o.stateDirectory(env("XDG_STATE_HOME", "/x")); got != "/x/drydock" {
		t.Errorf("with XDG_STATE_HOME: %s", got)
	}
	want := "/home/u/.local/state/drydock"
	if os.Geteuid() == 0 {
		want = "/var/lib/drydock"
	}
	if got, _ := o.stateDirectory(env("HOME", "/home/u")); got != want {
		t.Errorf("default: %s, want %s", got, want)
	}
	o.stateDir = "/flag"
	if got, _ := o.stateDirectory(env("XDG_STATE_HOME", "/x")); got != "/flag" {
		t.Errorf("flag: %s", got)
	}
}

// TestAppViewMaxDowntime: volumes ls --json shows an app's own limit and
// where it comes from, and nothing when the default applies.
func TestAppViewMaxDowntime(t *testing.T) {
	a := &appplan.App{Name: "db", MaxDowntime: 90 * time.Second, MaxDowntimeFrom: "drydock.max-downtime=1m30s on volume db"}
	b, err := json.Marshal(appView(a))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"max_downtime_seconds":90`) || !strings.Contains(string(b), `"max_downtime_from":"drydock.max-downtime=1m30s on volume db"`) {
		t.Errorf("appView JSON: %s", b)
	}
	b, _ = json.Marshal(appView(&appplan.App{Name: "web"}))
	if strings.Contains(string(b), "max_downtime") {
		t.Errorf("default limit shown as the app's own: %s", b)
	}
}

// TestWarnMalformed: backup names every volume skipped for malformed
// labels, and only those.
func TestWarnMalformed(t *testing.T) {
	var errOut bytes.Buffer
	g := &globalOptions{stderr: &errOut}
	p := &appplan.Plan{Skipped: []appplan.Skip{
		{Name: "a", Reason: `malformed labels: label drydock.backup="yes": want true or false`, Malformed: true},
		{Name: "b", Reason: "not opted in"},
		{Name: "c", Reason: "malformed labels: label \"Drydock.Backup\": labels are case-sensitive", Malformed: true},
	}}
	if n := warnMalformed(g, p); n != 2 || !strings.Contains(errOut.String(), "volume a not backed up") ||
		!strings.Contains(errOut.String(), "volume c not backed up") || strings.Contains(errOut.String(), "volume b") {
		t.Errorf("warned %d:\n%s", n, errOut.String())
	}
}
