package orchestrate_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/pkg/oplog"
	"github.com/drydock-backup/drydock/pkg/orchestrate"
	"github.com/drydock-backup/drydock/pkg/orchestrate/config"
)

const consoleTwoJobs = `state_dir: STATE
listen: 127.0.0.1:0
repositories:
  local:
    location: repo
    password_file: pw
    init: true
jobs:
  yearly:
    repository: local
    schedule: "0 0 1 1 *"
    paths: [DATA]
  often:
    repository: local
    schedule: "* * * * * *"
    paths: [DATA]
`

// consoleAPI calls the daemon's console API with its token.
func consoleAPI(t *testing.T, td *testDaemon, state, method, path string) (int, []byte) {
	t.Helper()
	tok, err := os.ReadFile(filepath.Join(state, config.DefaultConsoleTokenFile))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(t.Context(), method, "http://"+td.d.Addr().String()+path, nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func operationsOf(t *testing.T, td *testDaemon, state string) []oplog.Operation {
	t.Helper()
	var h struct{ Operations []oplog.Operation }
	if code, b := consoleAPI(t, td, state, "GET", "/api/v1/operations"); code != http.StatusOK || json.Unmarshal(b, &h) != nil {
		t.Fatalf("GET /api/v1/operations: %d %s", code, b)
	}
	return h.Operations
}

// TestDaemonConsoleRunsJobNow: a job run from the console's API runs at
// once, off its schedule, and lands in the history with the scheduled
// runs; the history survives a restart of the daemon.
func TestDaemonConsoleRunsJobNow(t *testing.T) {
	state, data := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(data, "f"), "content")
	yaml := fill(consoleTwoJobs, "STATE", state, "DATA", data)
	td := startDaemon(t, yaml, nil)
	code, b := consoleAPI(t, td, state, "POST", "/api/v1/jobs/yearly/run")
	var op oplog.Operation
	if code != http.StatusAccepted || json.Unmarshal(b, &op) != nil || op.Job != "yearly" || op.Trigger != oplog.Manual {
		t.Fatalf("POST run: %d %s", code, b)
	}
	st := td.waitFor("the manual run", time.Minute, func(st orchestrate.Status) bool { return job(st, "yearly", "backup").Runs == 1 })
	if lr := job(st, "yearly", "backup").LastRun; lr == nil || lr.Result != "success" || len(lr.Snapshots) != 1 {
		t.Fatalf("the manual run: %+v", lr)
	}
	var done oplog.Operation
	deadline := time.Now().Add(time.Minute)
	for done.Status != oplog.Success && time.Now().Before(deadline) {
		_, b := consoleAPI(t, td, state, "GET", "/api/v1/operations/"+op.ID)
		_ = json.Unmarshal(b, &done)
		time.Sleep(20 * time.Millisecond)
	}
	if done.Status != oplog.Success || done.Bytes == 0 || len(done.Log) == 0 || !strings.Contains(done.Log[0].Text, "snapshot") {
		t.Errorf("the manual run's operation: %+v", done)
	}
	for _, tc := range []struct {
		path string
		want int
	}{
		{"/api/v1/jobs/nosuch/run", http.StatusNotFound},
		{"/api/v1/jobs/yearly/run?kind=verify", http.StatusNotFound},
	} {
		if code, b := consoleAPI(t, td, state, "POST", tc.path); code != tc.want {
			t.Errorf("POST %s: %d %s, want %d", tc.path, code, b, tc.want)
		}
	}
	td.waitFor("a scheduled run", time.Minute, func(st orchestrate.Status) bool { return job(st, "often", "backup").Runs >= 1 })
	var jobs struct {
		Jobs []struct {
			Job        string `json:"job"`
			LastResult string `json:"last_result"`
		}
	}
	if code, b := consoleAPI(t, td, state, "GET", "/api/v1/jobs"); code != http.StatusOK || json.Unmarshal(b, &jobs) != nil ||
		len(jobs.Jobs) != 2 || jobs.Jobs[1].Job != "yearly" || jobs.Jobs[1].LastResult != "success" {
		t.Errorf("GET /api/v1/jobs: %d %s", code, b)
	}
	td.stop()

	td2 := startDaemon(t, strings.Replace(yaml, `"* * * * * *"`, `"0 0 1 1 *"`, 1), nil)
	var manual, scheduled int
	for _, o := range operationsOf(t, td2, state) {
		switch {
		case o.ID == op.ID && o.Status == oplog.Success:
			manual++
		case o.Job == "often" && o.Trigger == oplog.Scheduled:
			scheduled++
		}
	}
	if manual != 1 || scheduled == 0 {
		t.Errorf("history after a restart: %d manual runs of yearly, %d scheduled of often; want 1 and some", manual, scheduled)
	}
}
