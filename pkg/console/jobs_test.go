package console

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/pkg/oplog"
)

// waitOperation polls the API until the operation has ended.
func (f *fixture) waitOperation(t *testing.T, id string) oplog.Operation {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var op oplog.Operation
		res := f.get(t, "/api/v1/operations/"+id, testToken)
		if err := json.Unmarshal(readBody(t, res), &op); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("GET operation %s: %d %v", id, res.StatusCode, err)
		}
		if op.Status != oplog.Running {
			return op
		}
		if time.Now().After(deadline) {
			t.Fatalf("operation %s still runs after 30 s", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRunJobThroughAPI: a job run from the API answers 202 with its
// operation, which ends as the backup did, lands in the history and its
// snapshot in the repository; a failing job is an alert on the overview.
func TestRunJobThroughAPI(t *testing.T) {
	f := newFixture(t)
	var jobs struct{ Jobs []Task }
	if err := json.Unmarshal(readBody(t, f.get(t, "/api/v1/jobs", testToken)), &jobs); err != nil || len(jobs.Jobs) != 3 {
		t.Fatalf("GET /api/v1/jobs: %+v, %v", jobs, err)
	}
	before := len(f.snapshotIDs(t))
	cases := []struct {
		job, kind  string
		status     int
		wantResult string
	}{
		{"docs", "", http.StatusAccepted, oplog.Success},
		{"broken", "backup", http.StatusAccepted, oplog.Failure},
		{"nosuch", "", http.StatusNotFound, ""},
		{"docs", "verify", http.StatusNotFound, ""},
	}
	for _, tc := range cases {
		res := f.do(t, http.MethodPost, "/api/v1/jobs/"+tc.job+"/run?kind="+tc.kind, testToken, nil)
		body := readBody(t, res)
		if res.StatusCode != tc.status {
			t.Errorf("run %s %s: %d %s, want %d", tc.job, tc.kind, res.StatusCode, body, tc.status)
			continue
		}
		if tc.status != http.StatusAccepted {
			continue
		}
		var op oplog.Operation
		if err := json.Unmarshal(body, &op); err != nil || op.ID == "" || op.Job != tc.job || op.Trigger != oplog.Manual {
			t.Fatalf("run %s: operation %s (%v)", tc.job, body, err)
		}
		if loc := res.Header.Get("Location"); loc != "/api/v1/operations/"+op.ID {
			t.Errorf("run %s: Location %q", tc.job, loc)
		}
		if done := f.waitOperation(t, op.ID); done.Status != tc.wantResult || done.Finished == nil {
			t.Errorf("run %s ended %+v, want %s", tc.job, done, tc.wantResult)
		} else if tc.wantResult == oplog.Success && done.Bytes == 0 {
			t.Errorf("run %s: no bytes recorded", tc.job)
		}
	}
	if after := len(f.snapshotIDs(t)); after != before+1 {
		t.Errorf("%d snapshots after one successful run, had %d", after, before)
	}
	var hist struct{ Operations []oplog.Operation }
	if err := json.Unmarshal(readBody(t, f.get(t, "/api/v1/operations", testToken)), &hist); err != nil || len(hist.Operations) != 2 ||
		hist.Operations[0].Job != "broken" || hist.Operations[1].Job != "docs" {
		t.Errorf("history: %+v (%v), want broken then docs, newest first", hist, err)
	}
	page := string(readBody(t, f.get(t, "/", testToken)))
	for _, want := range []string{`class="alert">Job broken (backup) failed`, "Run now", "docs", "/history"} {
		if !strings.Contains(page, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
	// A job that runs already is refused: 409, no second operation.
	res := f.do(t, http.MethodPost, "/api/v1/jobs/slow/run", testToken, nil)
	var slow oplog.Operation
	_ = json.Unmarshal(readBody(t, res), &slow)
	if again := f.do(t, http.MethodPost, "/api/v1/jobs/slow/run", testToken, nil); again.StatusCode != http.StatusConflict {
		t.Errorf("second run of a running job: %d, want 409", again.StatusCode)
	}
	f.jobs.gate["slow"] <- struct{}{}
	f.waitOperation(t, slow.ID)
	// The form posts from the overview redirect to the operation's page.
	form := f.do(t, http.MethodPost, "/jobs/docs/run", testToken, strings.NewReader("kind=backup"), func(r *http.Request) {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	})
	if loc := form.Header.Get("Location"); form.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/operations/") {
		t.Errorf("run from the form: %d to %q, want 303 to the operation", form.StatusCode, loc)
	} else {
		f.waitOperation(t, strings.TrimPrefix(loc, "/operations/"))
		if page := string(readBody(t, f.get(t, loc, testToken))); !strings.Contains(page, "snapshot ") || !strings.Contains(page, "success") {
			t.Errorf("operation page lacks its log or status:\n%s", page)
		}
	}
}

// TestEventsStreamOperations: /api/v1/events sends each change of an
// operation as a server-sent event, as it happens.
func TestEventsStreamOperations(t *testing.T) {
	f := newFixture(t)
	res := f.get(t, "/api/v1/events", testToken)
	if ct := res.Header.Get("Content-Type"); res.StatusCode != http.StatusOK || ct != "text/event-stream" {
		t.Fatalf("GET /api/v1/events: %d %s", res.StatusCode, ct)
	}
	// An event that never comes fails the test in time, not at the
	// package's timeout.
	stop := time.AfterFunc(time.Minute, func() { res.Body.Close() })
	defer stop.Stop()
	rd := bufio.NewReader(res.Body)
	if line, _ := rd.ReadString('\n'); !strings.HasPrefix(line, ":") {
		t.Fatalf("the stream starts with %q, want a comment", line)
	}
	run := f.do(t, http.MethodPost, "/api/v1/jobs/docs/run", testToken, nil)
	var op oplog.Operation
	_ = json.Unmarshal(readBody(t, run), &op)
	var statuses []string
	for len(statuses) < 2 {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("reading events: %v (saw %q)", err, statuses)
		}
		data, ok := strings.CutPrefix(strings.TrimSpace(line), "data: ")
		if !ok {
			continue
		}
		var ev oplog.Operation
		if err := json.Unmarshal([]byte(data), &ev); err != nil || ev.ID != op.ID {
			t.Fatalf("event %q: %v", data, err)
		}
		statuses = append(statuses, ev.Status)
	}
	if got := strings.Join(statuses, " "); got != "running success" {
		t.Errorf("events say %q, want running then success", got)
	}
	if res := f.get(t, "/api/v1/events", ""); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("events without a token: %d, want 401", res.StatusCode)
	}
}

// snapshotIDs lists the repository's snapshots through the API.
func (f *fixture) snapshotIDs(t *testing.T) []string {
	t.Helper()
	var sns []struct{ ID string }
	if err := json.Unmarshal(readBody(t, f.get(t, "/api/v1/repositories/default/snapshots", testToken)), &sns); err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(sns))
	for i, s := range sns {
		ids[i] = s.ID
	}
	return ids
}
