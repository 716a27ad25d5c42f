package console

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/oplog"
)

// TestOverviewRepositories: each repository shows the snapshot count of
// the console's cache (once listed), the size the newest backup recorded
// and the newest check or verify that ended, with links to their
// operations, on the overview and in GET /api/v1/repositories.
func TestOverviewRepositories(t *testing.T) {
	f := newFixture(t)
	record := func(kind string, err error, after *oplog.RepositoryFigures) string {
		op, serr := f.ops.Start(oplog.Operation{Kind: kind, Job: "nightly", Repository: "default", Trigger: oplog.Scheduled})
		if serr != nil {
			t.Fatal(serr)
		}
		if err := f.ops.Finish(op.ID, err, func(o *oplog.Operation) { o.After = after }); err != nil {
			t.Fatal(err)
		}
		return op.ID
	}
	record("backup", nil, &oplog.RepositoryFigures{Bytes: 1 << 20, Snapshots: 1})
	record("verify", nil, nil)
	sized := record("backup", nil, &oplog.RepositoryFigures{Bytes: 3 << 20, Snapshots: 2})
	checked := record("verify", errors.New("pack 1234 is damaged"), nil)
	record("backup", errors.New("docker went away"), nil) // no figures: the older ones stand
	record("restore", nil, nil)

	type repoJSON struct {
		Name            string
		Snapshots       *int
		SnapshotsListed *time.Time `json:"snapshots_listed"`
		Size            *repositorySize
		LastCheck       *repositoryCheck `json:"last_check"`
	}
	api := func() repoJSON {
		t.Helper()
		var out []repoJSON
		if err := json.Unmarshal(readBody(t, f.get(t, "/api/v1/repositories", testToken)), &out); err != nil || len(out) != 1 {
			t.Fatalf("GET /api/v1/repositories: %+v %v", out, err)
		}
		return out[0]
	}
	// The overview reads no repository: until a listing ran, the count
	// is unknown, and the overview starts one in the background.
	if got := api(); got.Name != "default" || got.Size == nil || got.Size.Operation != sized || got.Size.Bytes != 3<<20 ||
		got.LastCheck == nil || got.LastCheck.Operation != checked || got.LastCheck.Status != oplog.Failure || got.LastCheck.Error != "pack 1234 is damaged" {
		t.Errorf("GET /api/v1/repositories: %+v size %+v check %+v", got, got.Size, got.LastCheck)
	}
	if !testenv.Eventually(10*time.Second, 20*time.Millisecond, func() bool { return api().Snapshots != nil }) {
		t.Fatal("the snapshots are never counted")
	}
	if got := api(); *got.Snapshots != 2 || got.SnapshotsListed == nil {
		t.Errorf("snapshots: %d listed %v, want 2", *got.Snapshots, got.SnapshotsListed)
	}
	page := string(readBody(t, f.get(t, "/", testToken)))
	for _, w := range []string{`<a href="/repositories/default/snapshots">default</a>`, "2 snapshots", "3.0 MiB, just now",
		`href="/operations/` + sized + `"`, `href="/operations/` + checked + `"`, "pack 1234 is damaged", "Stale locks looked for"} {
		if !strings.Contains(page, w) {
			t.Errorf("overview lacks %q", w)
		}
	}
}

func TestPlainCount(t *testing.T) {
	for n, want := range map[int]string{0: "0 snapshots", 1: "1 snapshot", 999: "999 snapshots", 10000: "10,000 snapshots", 1234567: "1,234,567 snapshots"} {
		if got := plainCount(n, "snapshot"); got != want {
			t.Errorf("plainCount(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestOverviewRunningJob: a running job's row links to its operation
// with how long it runs, its bytes so far and its last log line, and the
// page names it for live.js to follow; once it ends the row is the
// result again.
func TestOverviewRunningJob(t *testing.T) {
	f := newFixture(t)
	res := f.do(t, http.MethodPost, "/api/v1/jobs/slow/run", testToken, nil)
	var op oplog.Operation
	if err := json.Unmarshal(readBody(t, res), &op); err != nil || op.ID == "" {
		t.Fatalf("run slow: %d %v", res.StatusCode, err)
	}
	f.ops.Update(op.ID, func(o *oplog.Operation) {
		o.Bytes = 5 << 20
		oplog.AddLine(o, "info", "reading /srv/etc")
	})
	page := string(readBody(t, f.get(t, "/", testToken)))
	for _, w := range []string{`<a class="progress" href="/operations/` + op.ID + `">for `, "5.0 MiB so far", "reading /srv/etc",
		`data-running="` + op.ID + `"`, `<script src="/static/live.js">`} {
		if !strings.Contains(page, w) {
			t.Errorf("overview lacks %q", w)
		}
	}
	f.jobs.gate["slow"] <- struct{}{}
	if got := f.waitOperation(t, op.ID); got.Status != oplog.Success {
		t.Fatalf("slow: %+v", got)
	}
	if page := string(readBody(t, f.get(t, "/", testToken))); strings.Contains(page, "so far") || !strings.Contains(page, `data-running=""`) {
		t.Error("the overview still shows the job running")
	}
}
