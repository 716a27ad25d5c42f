package console

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/oplog"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// TestRemoveStaleLocks: a repository with a stale lock (another host's,
// not refreshed for two hours) is an alert on the overview, with a button
// that removes it as an operation of kind unlock in the history; a live
// lock is never listed nor removed; afterwards the alert is gone.
func TestRemoveStaleLocks(t *testing.T) {
	f := newFixture(t)
	stale := repotest.OtherExclusive()
	stale.Time = time.Now().Add(-2 * time.Hour)
	staleID := repotest.SaveLock(t, f.r, stale)
	liveID := repotest.SaveLock(t, f.r, format.Lock{Time: time.Now(), Hostname: "other-host", Username: "u", PID: 77})

	page := string(readBody(t, f.get(t, "/", testToken)))
	for _, w := range []string{"Repository <strong>default</strong> has 1 stale lock(s)", "exclusive lock " + staleID.Str(), `action="/repositories/default/unlock"`} {
		if !strings.Contains(page, w) {
			t.Errorf("overview lacks %q", w)
		}
	}
	if strings.Contains(page, liveID.Str()) {
		t.Error("the overview lists the live lock as stale")
	}
	var locks struct{ Stale []staleLockJSON }
	if res := f.get(t, "/api/v1/repositories/default/locks", testToken); json.Unmarshal(readBody(t, res), &locks) != nil || len(locks.Stale) != 1 || locks.Stale[0].ID != staleID.String() {
		t.Fatalf("GET locks: %d %+v", res.StatusCode, locks)
	}

	res := f.do(t, http.MethodPost, "/repositories/default/unlock", testToken, nil)
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/operations/") {
		t.Fatalf("POST unlock: %d to %q", res.StatusCode, loc)
	}
	op := f.waitOperation(t, strings.TrimPrefix(loc, "/operations/"))
	if op.Kind != "unlock" || op.Status != oplog.Success || op.Repository != "default" ||
		!slices.ContainsFunc(op.Log, func(l oplog.Line) bool { return l.Text == "removed 1 stale lock(s), kept 1 live one(s)" }) {
		t.Errorf("unlock operation %+v", op)
	}
	ids, err := f.r.List(t.Context(), backend.LockFile)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids, []format.ID{liveID}) {
		t.Errorf("lock files after unlock: %v, want only the live %s", ids, liveID.Str())
	}
	if page := string(readBody(t, f.get(t, "/", testToken))); strings.Contains(page, "stale lock") {
		t.Error("the overview still alerts of stale locks")
	}
	if res := f.do(t, http.MethodPost, "/api/v1/repositories/default/unlock", testToken, nil, func(r *http.Request) { r.Header.Set("Origin", "https://evil.example") }); res.StatusCode != http.StatusForbidden {
		t.Errorf("unlock from another site: %d, want 403", res.StatusCode)
	}
}
